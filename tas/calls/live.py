"""Live calls of the call application, for the admin API (``tas calls live`` / ``hangup``).

:class:`LiveCalls` is fed by :class:`tas.calls.app.CallApp` with each leg it handles (the SIP
call and its journal); a leg drops out once its call has ended. :func:`end_call` is the one
way the TAS ends a call it holds (RFC 3261 §15: BYE when answered, CANCEL our own pending
INVITE, a final response to a pending incoming one); :meth:`CallApp.shutdown` and the admin
hang-up both use it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tas.calls.journal import CallJournal
from tas.calls.leg import AnsweredLeg
from tas.sip.call import Call
from tas.sip.errors import SipError

__all__ = ["LiveCall", "LiveCalls", "end_call"]


@dataclass(frozen=True, slots=True)
class LiveCall:
    """What the API shows of one live leg; ``id`` is its SIP Call-ID."""

    id: str
    state: str
    direction: str
    route: str | None
    caller: str | None
    callee: str | None
    subscriber: str | None
    action: str | None
    record_id: int | None
    started: datetime
    answered: datetime | None


def end_call(call: Call, endpoint: Any, now: float, status: int = 503) -> bool:
    """End ``call``: its :class:`AnsweredLeg` hangs up (a recording in progress is committed by
    its flow), else BYE / CANCEL / ``status``. False when there was nothing to end."""
    owner = call.listener
    if call.ended or call.state == "ending":
        return False
    if isinstance(owner, AnsweredLeg):
        owner.hang_up(status)
        return True
    with contextlib.suppress(SipError):
        if call.state in ("answered", "confirmed"):
            endpoint.bye(call, now)
            return True
        if call.role == "uas" and call.state in ("incoming", "early"):
            endpoint.reject(call, status, now)
            return True
        if call.role == "uac" and call.state in ("calling", "early"):
            endpoint.cancel(call, now)
            return True
    return False


class LiveCalls:
    """Legs in progress by SIP Call-ID (bounded: ended legs are dropped on every access)."""

    def __init__(self) -> None:
        self._legs: dict[str, tuple[Call, CallJournal]] = {}

    def add(self, call: Call, journal: CallJournal) -> None:
        self._prune()
        self._legs[call.call_id] = (call, journal)

    def _prune(self) -> None:
        for key, (call, _) in list(self._legs.items()):
            if call.ended:
                del self._legs[key]

    def __iter__(self) -> Iterator[LiveCall]:
        self._prune()
        for call, journal in list(self._legs.values()):
            yield _view(call, journal)

    def get(self, call_id: str) -> LiveCall | None:
        self._prune()
        found = self._legs.get(call_id)
        return _view(*found) if found else None

    def call(self, call_id: str) -> Call | None:
        """The SIP call of a live leg (to end it with :func:`end_call`)."""
        self._prune()
        found = self._legs.get(call_id)
        return found[0] if found else None


def _view(call: Call, journal: CallJournal) -> LiveCall:
    r = journal.record
    return LiveCall(
        id=call.call_id,
        state=str(call.state),
        direction=r.direction,
        route=r.route,
        caller=r.caller,
        callee=r.callee,
        subscriber=r.subscriber,
        action=r.action,
        record_id=r.id,
        started=r.started,
        answered=r.answered,
    )
