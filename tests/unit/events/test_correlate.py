"""Correlation of core events with our call records: one scenario per route type, then the
matching rules one by one. Synthetic rows, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tas.calls.records import CallMilestone, CallRecord, Outcome
from tas.events.correlate import correlate, normalise_e164, outcome_of
from tas.events.models import CoreEvent
from tas.events.timeline import Timeline

T0 = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
ALICE, BOB, PBX = "+4791111111", "+4792222222", "+4723000000"
_seq = iter(range(1, 10_000))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def voice(
    call_id: str,
    type: str,
    seconds: float,
    a: str = ALICE,
    b: str = BOB,
    hidden: bool = False,
) -> CoreEvent:
    sequence = next(_seq)
    return CoreEvent(
        event_key=f"k{sequence}",
        stream="sandbox",
        sequence=sequence,
        kind="voice",
        type=type,
        call_id=call_id,
        from_number=a,
        to_number=b,
        owner=b,
        caller_id_hidden=hidden,
        timestamp=at(seconds),
        received=at(seconds + 0.1),
        payload=b"",
    )


def voicemail(voicemail_id: str, seconds: float, a: str = ALICE, b: str = BOB) -> CoreEvent:
    sequence = next(_seq)
    return CoreEvent(
        event_key=f"k{sequence}",
        stream="sandbox",
        sequence=sequence,
        kind="voicemail",
        type="NEW_VOICEMAIL",
        voicemail_id=voicemail_id,
        from_number=a,
        to_number=b,
        owner=b,
        timestamp=at(seconds),
        received=at(seconds + 0.1),
        payload=b"",
    )


def record(record_id: int, seconds: float, **fields: object) -> CallRecord:
    values: dict[str, object] = {
        "id": record_id,
        "sip_call_id": f"sip-{record_id}@core",
        "direction": "in",
        "caller": ALICE,
        "callee": BOB,
        "started": at(seconds),
        **fields,
    }
    return CallRecord.model_validate(values)


def marks(record_id: int, *steps: tuple[float, str]) -> list[CallMilestone]:
    return [
        CallMilestone(id=n, call_record_id=record_id, at=at(s), kind=kind)
        for n, (s, kind) in enumerate(steps)
    ]


def lines(timeline: Timeline) -> list[str]:
    return [f"{e.source}:{e.kind}" for e in timeline.entries]


def test_fork_answered_by_handset_joined_by_session_id() -> None:
    leg = record(1, 0.2, session_id="sess-fork", route="fork", outcome="abandoned")
    events = [
        voice("sess-fork", "CALL_INITIATED", 0),
        voice("sess-fork", "CALL_RINGING", 0.5),
        voice("sess-fork", "CALL_ANSWERED", 4),
        voice("sess-fork", "CALL_ENDED", 30),
    ]
    steps = marks(1, (0.2, "invite"), (0.3, "180"), (4.1, "cancel"))
    [timeline] = correlate([leg], {1: steps}, events)
    assert lines(timeline) == [
        "core:CALL_INITIATED",
        "tas:invite",
        "tas:180",
        "core:CALL_RINGING",
        "core:CALL_ANSWERED",
        "tas:cancel",
        "core:CALL_ENDED",
    ]
    assert timeline.outcome is Outcome.ANSWERED_BY_HANDSET
    assert (timeline.id, timeline.matched_by, timeline.seen_by) == ("1", "session-id", "both")
    assert (timeline.route, timeline.call_id) == ("fork", "sess-fork")


def test_loop_forwarded_back_to_the_core_keeps_both_legs() -> None:
    inbound = record(
        10, 0.1, session_id="sess-loop", route="loop", action="forward", outcome="forwarded"
    )
    outbound = record(
        11, 0.3, session_id="sess-loop", direction="out", sip_call_id="leg3@tas", answered=at(5)
    )
    steps = {
        10: marks(10, (0.1, "invite"), (5.1, "answered"), (60, "bye")),
        11: marks(11, (0.3, "invite"), (1.0, "180"), (5.0, "200")),
    }
    events = [
        voice("sess-loop", "CALL_INITIATED", 0),
        voice("sess-loop", "CALL_RINGING", 1.1),
        voice("sess-loop", "CALL_ANSWERED", 5.05),
        voice("sess-loop", "CALL_ENDED", 60.2),
    ]
    [timeline] = correlate([outbound, inbound], steps, events)
    assert lines(timeline) == [
        "core:CALL_INITIATED",
        "tas:invite",
        "tas:invite",
        "tas:180",
        "core:CALL_RINGING",
        "tas:200",
        "core:CALL_ANSWERED",
        "tas:answered",
        "tas:bye",
        "core:CALL_ENDED",
    ]
    assert [leg.record_id for leg in timeline.legs] == [10, 11]
    assert [e.leg for e in timeline.entries if e.source == "tas"][:2] == [10, 11]
    assert timeline.outcome is Outcome.FORWARDED
    assert timeline.matched_by == "session-id"


def test_fallback_to_tas_voicemail_joined_by_numbers_after_normalising() -> None:
    # Leg 3 arrives after 30 s of ringing, without a Session-ID; the record's numbers are
    # written differently from the core's.
    leg = record(
        20,
        30.2,
        route="fallback",
        caller="0047 911 11 111",
        callee="tel:+47-92222222",
        answered=at(30.5),
        ended=at(52),
        voicemail_id="vm-20",
        outcome="voicemail-left",
    )
    steps = marks(20, (30.2, "invite"), (30.5, "answered"), (31, "recording"), (52, "bye"))
    events = [
        voice("core-77", "CALL_INITIATED", 0),
        voice("core-77", "CALL_RINGING", 0.4),
        voice("core-77", "CALL_ENDED", 52.1),
    ]
    [timeline] = correlate([leg], {20: steps}, events)
    assert lines(timeline) == [
        "core:CALL_INITIATED",
        "core:CALL_RINGING",
        "tas:invite",
        "tas:answered",
        "tas:recording",
        "tas:bye",
        "core:CALL_ENDED",
    ]
    assert timeline.outcome is Outcome.VOICEMAIL_LEFT
    assert (timeline.matched_by, timeline.voicemail_id) == ("numbers", "vm-20")
    assert (timeline.caller, timeline.callee) == (ALICE, BOB)


def test_loop_mo_answered_by_tas_joined_by_sip_call_id() -> None:
    external = "+4723456789"
    leg = record(
        30,
        0.1,
        sip_call_id="core-mo-1",
        route="loop-mo",
        caller=BOB,
        callee=external,
        action="answer",
        answered=at(0.3),
        outcome="answered-by-tas",
    )
    events = [
        voice("core-mo-1", "CALL_INITIATED", 0, a=BOB, b=external),
        voice("core-mo-1", "CALL_ANSWERED", 0.35, a=BOB, b=external),
        voice("core-mo-1", "CALL_ENDED", 20, a=BOB, b=external),
    ]
    [timeline] = correlate([leg], {}, events)
    assert lines(timeline) == [
        "core:CALL_INITIATED",
        "tas:started",
        "tas:answered",
        "core:CALL_ANSWERED",
        "core:CALL_ENDED",
    ]
    assert (timeline.outcome, timeline.matched_by) == (Outcome.ANSWERED_BY_TAS, "call-id")


def test_loop_mt_rejected_with_hidden_caller_matches_on_the_callee() -> None:
    leg = record(40, 0.2, route="loop-mt", caller=None, action="reject", status=486)
    leg.outcome = "rejected"
    steps = marks(40, (0.2, "invite"), (0.25, "486"))
    events = [
        voice("core-mt", "CALL_INITIATED", 0, a="", hidden=True),
        voice("core-mt", "CALL_ENDED", 0.3, a="", hidden=True),
    ]
    [timeline] = correlate([leg], {40: steps}, events)
    assert lines(timeline) == ["core:CALL_INITIATED", "tas:invite", "tas:486", "core:CALL_ENDED"]
    assert (timeline.outcome, timeline.matched_by) == (Outcome.REJECTED, "numbers")
    assert timeline.entries[0].detail == f"hidden -> {BOB}"


def test_ingress_call_placed_by_the_tas_answered_by_the_handset() -> None:
    leg = record(
        50,
        0,
        direction="out",
        route="ingress",
        caller=PBX,
        callee=BOB,
        answered=at(3),
        ended=at(9),
    )
    events = [
        voice("core-in", "CALL_INITIATED", 0.05, a=PBX),
        voice("core-in", "CALL_RINGING", 0.5, a=PBX),
        voice("core-in", "CALL_ANSWERED", 2.9, a=PBX),
        voice("core-in", "CALL_ENDED", 9.1, a=PBX),
    ]
    [timeline] = correlate([leg], {}, events)
    assert lines(timeline) == [
        "tas:started",
        "core:CALL_INITIATED",
        "core:CALL_RINGING",
        "core:CALL_ANSWERED",
        "tas:answered",
        "tas:ended",
        "core:CALL_ENDED",
    ]
    assert (timeline.outcome, timeline.matched_by) == (Outcome.ANSWERED_BY_HANDSET, "numbers")


def test_core_voicemail_for_a_call_the_tas_never_saw() -> None:
    events = [
        voice("core-vm", "CALL_INITIATED", 0),
        voice("core-vm", "CALL_RINGING", 0.5),
        voice("core-vm", "CALL_FWD_VOICEMAIL", 30),
        voice("core-vm", "CALL_ENDED", 50),
        voicemail("vm-core", 51),
    ]
    [timeline] = correlate([], {}, events)
    assert timeline.id == "core:core-vm" and timeline.seen_by == "core"
    assert lines(timeline)[-2:] == ["core:CALL_ENDED", "core:NEW_VOICEMAIL"]
    assert (timeline.outcome, timeline.voicemail_id) == (Outcome.VOICEMAIL_LEFT, "vm-core")
    assert timeline.legs == () and timeline.matched_by is None


def test_unanswered_core_call_is_abandoned_and_a_lone_voicemail_stays_visible() -> None:
    events = [
        voice("gone", "CALL_INITIATED", 0),
        voice("gone", "CALL_ENDED", 8),
        voicemail("vm-late", 900),
    ]
    first, second = correlate([], {}, events)
    assert (first.id, first.outcome) == ("core:gone", Outcome.ABANDONED)
    assert (second.id, second.outcome) == ("vm:vm-late", Outcome.VOICEMAIL_LEFT)


def test_voicemail_event_joins_the_leg_that_recorded_it() -> None:
    leg = record(60, 0, voicemail_id="vm-60")
    [timeline] = correlate([leg], {}, [voicemail("vm-60", 40, a="+4700000000")])
    assert (timeline.matched_by, timeline.outcome) == ("voicemail-id", Outcome.VOICEMAIL_LEFT)


def test_number_join_takes_the_nearest_call_within_the_window() -> None:
    early, near, far = record(70, 0), record(71, 100), record(72, 1000)
    events = [voice("x", "CALL_INITIATED", 95), voice("x", "CALL_ENDED", 99)]
    timelines = {t.id: t for t in correlate([early, near, far], {}, events)}
    assert timelines["71"].call_id == "x" and timelines["71"].matched_by == "numbers"
    assert timelines["70"].seen_by == timelines["72"].seen_by == "tas"
    assert timelines["72"].outcome is Outcome.IN_PROGRESS
    narrow = correlate([early], {}, events, window=timedelta(seconds=60))
    assert [t.id for t in narrow] == ["70", "core:x"]


def test_other_numbers_never_join() -> None:
    leg = record(80, 0, callee="+4799999999")
    timelines = correlate([leg], {}, [voice("y", "CALL_INITIATED", 0)])
    assert [t.seen_by for t in timelines] == ["tas", "core"]


def test_naive_datetimes_from_sqlite_count_as_utc() -> None:
    leg = record(90, 0, session_id="s")
    leg.started = leg.started.replace(tzinfo=None)
    [timeline] = correlate([leg], {}, [voice("s", "CALL_INITIATED", -1)])
    assert timeline.started == at(-1) and timeline.entries[1].at == at(0)


def test_record_without_id_is_refused() -> None:
    with pytest.raises(ValueError, match="no id"):
        correlate([CallRecord(sip_call_id="a", direction="in")], {}, [])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+47 912 34 567", "+4791234567"),
        ("0047912", "+47912"),
        ("4791234567", "+4791234567"),
        ("tel:+47-912-34-567", "+4791234567"),
        ("sip:+4791234567@ims.example;user=phone", "+4791234567"),
        ("anonymous", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_e164(raw: str | None, expected: str | None) -> None:
    assert normalise_e164(raw) == expected


def test_outcome_precedence() -> None:
    answered = voice("p", "CALL_ANSWERED", 1)
    ended = voice("p", "CALL_ENDED", 2)
    assert outcome_of([], []) is Outcome.IN_PROGRESS
    assert outcome_of([], [ended]) is Outcome.ABANDONED
    assert outcome_of([], [answered, ended]) is Outcome.ANSWERED_BY_HANDSET
    assert outcome_of([record(1, 0, answered=at(1))], [answered]) is Outcome.ANSWERED_BY_TAS
    assert outcome_of([record(1, 0, outcome="failed")], [ended]) is Outcome.FAILED
    forwarded = record(1, 0, outcome="forwarded")
    assert outcome_of([forwarded], [voicemail("v", 3)]) is Outcome.VOICEMAIL_LEFT


def test_identifiers_win_over_numbers_whatever_the_order() -> None:
    leg = record(100, 1, session_id="mine")
    stranger = [voice("other", "CALL_INITIATED", 0)]  # same numbers, earlier, no identifier
    own = [voice("mine", "CALL_INITIATED", 1.5)]
    timelines = {t.id: t for t in correlate([leg], {}, stranger + own)}
    assert timelines["100"].call_id == "mine" and timelines["100"].matched_by == "session-id"
    assert timelines["core:other"].seen_by == "core"


def test_fork_leg_answered_elsewhere() -> None:
    """RFC 3326 cause=200 on our FORK leg's CANCEL: the handset took the call."""
    leg = record(1, 0.2, session_id="s-ae", route="fork", outcome="answered-elsewhere")
    assert outcome_of([leg], []) is Outcome.ANSWERED_BY_HANDSET
    (timeline,) = correlate([leg], {}, [voice("s-ae", "CALL_ANSWERED", 4)])
    assert timeline.outcome is Outcome.ANSWERED_BY_HANDSET
    assert timeline.legs[0].outcome == "answered-elsewhere"


def test_core_only_call_with_a_hidden_caller_shows_no_number() -> None:
    events = [
        voice("s-h", "CALL_INITIATED", 0, hidden=True),
        voice("s-h", "CALL_ENDED", 3, hidden=True),
    ]
    (timeline,) = correlate([], {}, events)
    assert timeline.caller == "anonymous"  # as our records store a hidden caller
    assert ALICE not in str(timeline.as_dict())


def test_sip_milestones_are_the_timelines_messages_not_entries() -> None:
    """The wire capture's ``sip`` milestones (tas.transport.capture) of both legs of a call
    become its ``messages`` in time order, each with its leg; the entries keep the rest."""
    from tas.calls.journal import WIRE_KIND
    from tas.sip.transaction_base import Peer
    from tas.transport.capture import summarise

    inbound = record(40, 0.0, session_id="sess-w")
    outbound = record(41, 0.05, session_id="sess-w", direction="out", sip_call_id="out-41")

    def wire(n: int, leg: int, seconds: float, data: bytes, direction: str) -> CallMilestone:
        peer = Peer("UDP", "127.0.0.1", 5060 + leg)
        _, _, message = summarise(direction, data, peer, at(seconds).timestamp())
        return CallMilestone(
            id=n, call_record_id=leg, at=at(seconds), kind=WIRE_KIND, detail=message.to_detail()
        )

    invite = b"INVITE sip:+4799990001@tas SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n"
    milestones = {
        40: [
            *marks(40, (0.01, "invite")),
            wire(10, 40, 0.0, invite, "in"),
            wire(11, 40, 0.3, b"SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n", "out"),
        ],
        41: [wire(12, 41, 0.1, invite.replace(b"Call-ID: a", b"Call-ID: out-41"), "out")],
    }
    [timeline] = correlate([inbound, outbound], milestones, [voice("sess-w", "CALL_INITIATED", 0)])
    # leg 41 has only messages: its entries fall back to the record's own timestamps
    assert lines(timeline) == ["core:CALL_INITIATED", "tas:invite", "tas:started"]
    shown = [(m.leg, m.wire.direction, m.wire.label) for m in timeline.messages]
    assert shown == [(40, "in", "INVITE"), (41, "out", "INVITE"), (40, "out", "200")]
    as_json = timeline.as_dict()["messages"]
    assert as_json[2]["first_line"] == "SIP/2.0 200 OK" and as_json[2]["peer"] == "127.0.0.1:5100"
    assert as_json[0]["headers"] == [["Call-ID", "a"], ["CSeq", "1 INVITE"]]
