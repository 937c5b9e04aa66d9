"""Join the core's VOICE/VOICEMAIL events with the TAS's call records into call timelines.

Pure: rows in, :class:`~tas.events.timeline.Timeline` out, no I/O and no clock.

1. Our legs are grouped into calls by RFC 7989 Session-ID (a B2BUA keeps it on leg 3).
2. The core's voice events are grouped by ``call_id``; a group joins the call whose Session-ID
   or SIP Call-ID equals that ``call_id``; otherwise the call whose inbound leg has the same
   (normalised E.164) caller and callee and started within ``window`` of the group's first
   event, nearest first. A hidden or missing caller matches on the callee alone.
3. A voicemail event joins the leg that recorded that ``voicemail_id``; otherwise the core call
   with the same numbers that was still going (or ended within ``window``), preferring one sent
   to voicemail; otherwise one of our calls by numbers and time.
4. Whatever stays unmatched becomes a timeline of its own side.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tas.calls.journal import WIRE_KIND
from tas.calls.records import CallMilestone, CallRecord, Outcome
from tas.events.models import CoreEvent
from tas.events.timeline import Entry, Leg, Message, Timeline
from tas.transport.capture import WireMessage

__all__ = ["DEFAULT_WINDOW", "correlate", "normalise_e164", "outcome_of"]

DEFAULT_WINDOW = timedelta(seconds=120)

_URI = re.compile(r"^(?:tel:|sips?:)?([^@;]*)", re.IGNORECASE)
_VISUAL = re.compile(r"[\s().\-/]")
# After the core's decision the outcome recorded by the TAS wins in this order.
_RECORDED_FINAL = (
    Outcome.ANSWERED_BY_TAS,
    Outcome.FORWARDED,
    Outcome.ANSWERED_BY_HANDSET,
    Outcome.REJECTED,
    Outcome.FAILED,
)


def normalise_e164(number: str | None) -> str | None:
    """``+CC…`` from ``+47 912 34 567``, ``0047…``, ``tel:+47…``, ``sip:+47…@host;user=phone``
    or bare international digits; None for empty or non-numeric input (``anonymous``)."""
    if not number:
        return None
    match = _URI.match(number.strip())
    digits = _VISUAL.sub("", match.group(1) if match else number)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif not digits.startswith("+"):
        digits = "+" + digits
    return digits if digits[1:].isdigit() else None


@dataclass(slots=True)
class _Call:
    """A working group: our legs and the core's events believed to be one call."""

    records: list[CallRecord] = field(default_factory=list)
    events: list[CoreEvent] = field(default_factory=list)
    matched_by: str | None = None

    @property
    def anchor(self) -> CallRecord:
        """The leg whose numbers speak for the call: the first inbound one, else the first."""
        return next((r for r in self.records if r.direction == "in"), self.records[0])


def correlate(
    records: Sequence[CallRecord],
    milestones: Mapping[int, Sequence[CallMilestone]],
    events: Sequence[CoreEvent],
    *,
    window: timedelta = DEFAULT_WINDOW,
) -> list[Timeline]:
    """Every call either side saw, oldest first."""
    ours = _group_records(records)
    by_id: dict[str, _Call] = {}
    for call in ours:
        for record in call.records:
            by_id.setdefault(record.sip_call_id, call)
            if record.session_id:
                by_id.setdefault(record.session_id, call)
    core_only: list[_Call] = []
    voice = sorted((e for e in events if e.kind == "voice"), key=_event_order)
    unmatched: list[list[CoreEvent]] = []
    for group in _group_voice(voice):  # identifiers first, so numbers never steal a call
        call_id = group[0].call_id
        target = by_id.get(call_id) if call_id else None
        if target is None:
            unmatched.append(group)
            continue
        session = any(r.session_id == call_id for r in target.records)
        target.events.extend(group)
        target.matched_by = target.matched_by or ("session-id" if session else "call-id")
    for group in unmatched:
        target = _by_numbers(ours, group[0], window)
        if target is None:
            core_only.append(_Call(events=list(group)))
            continue
        target.events.extend(group)
        target.matched_by = target.matched_by or "numbers"
    for event in sorted((e for e in events if e.kind != "voice"), key=_event_order):
        _place_voicemail(event, ours, core_only, window)
    timelines = [_timeline(call, milestones) for call in (*ours, *core_only)]
    return sorted(timelines, key=lambda t: (t.started, t.id))


def outcome_of(records: Sequence[CallRecord], events: Iterable[CoreEvent]) -> Outcome:
    """Final outcome from both views: a voicemail left beats everything, then what the TAS
    recorded, then the core's answer (by us if an inbound leg of ours answered, else by the
    handset), then a hang-up before answer (abandoned)."""
    types = {e.type for e in events}
    recorded = {r.outcome for r in records}
    if (
        "NEW_VOICEMAIL" in types
        or Outcome.VOICEMAIL_LEFT.value in recorded
        or any(r.voicemail_id for r in records)
    ):
        return Outcome.VOICEMAIL_LEFT
    for final in _RECORDED_FINAL:
        if final.value in recorded:
            return final
    if "CALL_ANSWERED" in types:
        ours = any(r.answered is not None for r in records if r.direction == "in")
        return Outcome.ANSWERED_BY_TAS if ours else Outcome.ANSWERED_BY_HANDSET
    if Outcome.ANSWERED_ELSEWHERE.value in recorded:  # our FORK leg lost (RFC 3326 cause=200)
        return Outcome.ANSWERED_BY_HANDSET
    if "CALL_ENDED" in types or Outcome.ABANDONED.value in recorded:
        return Outcome.ABANDONED
    return Outcome.IN_PROGRESS


# -- grouping and matching ------------------------------------------------------------------


def _group_records(records: Sequence[CallRecord]) -> list[_Call]:
    calls: list[_Call] = []
    sessions: dict[str, _Call] = {}
    for record in sorted(records, key=lambda r: (_utc(r.started), r.id or 0)):
        if record.id is None:
            raise ValueError(f"call record {record.sip_call_id!r} has no id (not stored yet)")
        call = sessions.get(record.session_id) if record.session_id else None
        if call is None:
            call = _Call()
            calls.append(call)
            if record.session_id:
                sessions[record.session_id] = call
        call.records.append(record)
    return calls


def _group_voice(voice: Sequence[CoreEvent]) -> list[list[CoreEvent]]:
    groups: dict[str, list[CoreEvent]] = {}
    for event in voice:
        groups.setdefault(event.call_id or f"\0{event.event_key}", []).append(event)
    return list(groups.values())


def _numbers_match(record: CallRecord, event: CoreEvent) -> bool:
    callee = normalise_e164(record.callee)
    if callee is None or callee != normalise_e164(event.to_number):
        return False
    caller, a_side = normalise_e164(record.caller), normalise_e164(event.from_number)
    return event.caller_id_hidden or caller is None or a_side is None or caller == a_side


def _by_numbers(calls: Sequence[_Call], first: CoreEvent, window: timedelta) -> _Call | None:
    """The nearest-in-time call not yet joined whose anchor leg has the event's numbers."""
    at = _utc(first.timestamp)
    best: tuple[timedelta, _Call] | None = None
    for call in calls:
        if call.events or not _numbers_match(call.anchor, first):
            continue
        distance = abs(_utc(call.anchor.started) - at)
        if distance <= window and (best is None or distance < best[0]):
            best = (distance, call)
    return best[1] if best else None


def _place_voicemail(
    event: CoreEvent, ours: list[_Call], core_only: list[_Call], window: timedelta
) -> None:
    if event.voicemail_id:
        for call in ours:
            if any(r.voicemail_id == event.voicemail_id for r in call.records):
                call.events.append(event)
                call.matched_by = call.matched_by or "voicemail-id"
                return
    at = _utc(event.timestamp)
    best: tuple[tuple[bool, timedelta], _Call] | None = None
    for call in (*ours, *core_only):
        voice = [e for e in call.events if e.kind == "voice"]
        if not voice or not _same_numbers(voice[0], event):
            continue
        start, end = _utc(voice[0].timestamp), _utc(voice[-1].timestamp)
        if start <= at <= end + window:
            rank = (all(e.type != "CALL_FWD_VOICEMAIL" for e in voice), at - start)
            if best is None or rank < best[0]:
                best = (rank, call)
    if best is not None:
        best[1].events.append(event)
        return
    for call in ours:
        anchor = call.anchor
        started = _utc(anchor.started)
        finished = _utc(anchor.ended) if anchor.ended else started
        if _numbers_match(anchor, event) and started <= at <= finished + window:
            call.events.append(event)
            call.matched_by = call.matched_by or "numbers"
            return
    core_only.append(_Call(events=[event]))


def _same_numbers(voice: CoreEvent, voicemail: CoreEvent) -> bool:
    if normalise_e164(voice.to_number) != normalise_e164(voicemail.to_number):
        return False
    a, b = normalise_e164(voice.from_number), normalise_e164(voicemail.from_number)
    return voice.caller_id_hidden or a is None or b is None or a == b


# -- building -------------------------------------------------------------------------------


def _timeline(call: _Call, milestones: Mapping[int, Sequence[CallMilestone]]) -> Timeline:
    entries: list[tuple[datetime, int, int, Entry]] = []
    for index, event in enumerate(sorted(call.events, key=_event_order)):
        entry = Entry(_utc(event.timestamp), "core", event.type, _describe(event))
        entries.append((entry.at, 0, index, entry))
    messages: list[Message] = []
    for record in call.records:
        assert record.id is not None
        rows = milestones.get(record.id, ())
        wire = [m for m in rows if m.kind == WIRE_KIND]  # the ladder's messages, not entries
        messages += (Message(record.id, WireMessage.from_detail(m.detail)) for m in wire)
        marked = [m for m in rows if m.kind != WIRE_KIND]
        for index, milestone in enumerate(_milestones_of(record, marked)):
            entries.append((milestone.at, 1, index, milestone))
    entries.sort(key=lambda item: item[:3])
    messages.sort(key=lambda m: m.wire.at)
    voice = next((e for e in call.events if e.kind == "voice"), None)
    first = call.events[0] if call.events else None
    vm_ids = [e.voicemail_id for e in call.events if e.voicemail_id]
    vm_ids += [r.voicemail_id for r in call.records if r.voicemail_id]
    if call.records:
        anchor = call.anchor
        ident = str(call.records[0].id)
        caller, callee, route = anchor.caller, anchor.callee, anchor.route
    else:
        assert first is not None
        ident = f"core:{first.call_id}" if first.call_id else f"vm:{first.voicemail_id}"
        hidden = voice is not None and voice.caller_id_hidden  # callerIdHidden: no number
        caller = "anonymous" if hidden else first.from_number  # as tas.calls.privacy stores it
        callee, route = first.to_number, None
    return Timeline(
        id=ident,
        started=entries[0][0],
        caller=normalise_e164(caller) or caller,
        callee=normalise_e164(callee) or callee,
        route=route,
        outcome=outcome_of(call.records, call.events),
        call_id=voice.call_id if voice else None,
        voicemail_id=vm_ids[0] if vm_ids else None,
        matched_by=call.matched_by if call.records and call.events else None,
        legs=tuple(_leg(r) for r in call.records),
        entries=tuple(item[3] for item in entries),
        messages=tuple(messages),
    )


def _milestones_of(record: CallRecord, rows: Sequence[CallMilestone]) -> list[Entry]:
    assert record.id is not None
    if rows:
        ordered = sorted(rows, key=lambda m: (_utc(m.at), m.id or 0))
        return [Entry(_utc(m.at), "tas", m.kind, m.detail, record.id) for m in ordered]
    # No milestones written: fall back to the record's own timestamps.
    derived = [Entry(_utc(record.started), "tas", "started", record.sip_call_id, record.id)]
    if record.answered:
        derived.append(Entry(_utc(record.answered), "tas", "answered", "", record.id))
    if record.ended:
        derived.append(Entry(_utc(record.ended), "tas", "ended", record.outcome, record.id))
    return derived


def _leg(record: CallRecord) -> Leg:
    assert record.id is not None
    return Leg(
        record.id,
        record.sip_call_id,
        record.session_id,
        record.direction,
        record.route,
        record.action,
        record.outcome,
        record.status,
    )


def _describe(event: CoreEvent) -> str:
    caller = "hidden" if event.caller_id_hidden else (event.from_number or "?")
    text = f"{caller} -> {event.to_number or '?'}"
    if event.voicemail_id:
        text = f"voicemail {event.voicemail_id} from {caller} to {event.to_number or '?'}"
    return text


def _event_order(event: CoreEvent) -> tuple[datetime, int]:
    return _utc(event.timestamp), event.sequence


def _utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; everything here is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
