"""One call as both sides saw it: the core's events and the TAS's SIP/media milestones, in
time order, with the final outcome. Frozen data; built by :mod:`tas.events.correlate`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tas.calls.records import Outcome
from tas.transport.capture import WireMessage

__all__ = ["Entry", "Leg", "Message", "Timeline"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a timeline. ``source`` is ``"core"`` (an event) or ``"tas"`` (a milestone)."""

    at: datetime
    source: str
    kind: str  # VoiceEventType / NEW_VOICEMAIL, or the milestone kind ("invite", "bye" …)
    detail: str = ""
    leg: int | None = None  # CallRecord id of a TAS milestone

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "source": self.source,
            "kind": self.kind,
            "detail": self.detail,
            "leg": self.leg,
        }


@dataclass(frozen=True, slots=True)
class Message:
    """A SIP message of leg ``leg`` (a CallRecord id) as sent or received on the wire
    (:mod:`tas.transport.capture`, when ``[admin] ladder_messages`` is on): the ladder's arrows."""

    leg: int
    wire: WireMessage

    def as_dict(self) -> dict[str, Any]:
        w = self.wire
        return {
            "at": datetime.fromtimestamp(w.at, UTC).isoformat(),
            "leg": self.leg,
            "direction": w.direction,
            "transport": w.transport,
            "peer": w.peer,
            "label": w.label,
            "first_line": w.first_line,
            "headers": [list(h) for h in w.headers],
        }


@dataclass(frozen=True, slots=True)
class Leg:
    """A SIP leg the TAS handled (one CallRecord), as the timeline shows it."""

    record_id: int
    sip_call_id: str
    session_id: str | None
    direction: str
    route: str | None
    action: str | None
    outcome: str
    status: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "sip_call_id": self.sip_call_id,
            "session_id": self.session_id,
            "direction": self.direction,
            "route": self.route,
            "action": self.action,
            "outcome": self.outcome,
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class Timeline:
    """``id`` is the first leg's record id (``"12"``) when the TAS saw the call, otherwise
    ``"core:<call_id>"`` or ``"vm:<voicemail_id>"``. ``matched_by`` says how the core's events
    were joined to our legs: ``session-id``, ``call-id``, ``voicemail-id``, ``numbers``, or
    None (one side only)."""

    id: str
    started: datetime
    caller: str | None
    callee: str | None
    route: str | None
    outcome: Outcome
    call_id: str | None  # the core's call_id
    voicemail_id: str | None
    matched_by: str | None
    legs: tuple[Leg, ...]
    entries: tuple[Entry, ...]
    messages: tuple[Message, ...] = ()  # in time order; empty when capture was off

    @property
    def seen_by(self) -> str:
        """``both``, ``tas`` or ``core``."""
        core = any(e.source == "core" for e in self.entries)
        if self.legs and core:
            return "both"
        return "tas" if self.legs else "core"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started": self.started.isoformat(),
            "caller": self.caller,
            "callee": self.callee,
            "route": self.route,
            "outcome": self.outcome.value,
            "call_id": self.call_id,
            "voicemail_id": self.voicemail_id,
            "matched_by": self.matched_by,
            "seen_by": self.seen_by,
            "legs": [leg.as_dict() for leg in self.legs],
            "entries": [entry.as_dict() for entry in self.entries],
            "messages": [message.as_dict() for message in self.messages],
        }
