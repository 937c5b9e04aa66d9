"""One call per route type, real SIP over real sockets: caller (UDP) -> sandbox core -> TAS
(TLS, the registered sips: URI) and back, asserting the signalling each side saw and the
VOICE_EVENTs the core emitted."""

from __future__ import annotations

from media import tones
from registrations.model import Route
from tas.calls.records import Outcome
from tas.demo import place_call
from tas.server import TasServer
from tests.integration.calls.calls_helpers import (
    CALLER,
    OTHER,
    SUBSCRIBER,
    register,
    settled,
    short_greetings,
    voice_events,
)

HELLO = tones.tone([700.0], 0.3)


async def _call(server: TasServer, caller: str, callee: str, hangup_after: float = 1.0) -> int:
    assert server.core is not None
    result = await place_call(
        server.engine,
        server.core.address("UDP"),
        caller,
        callee,
        speak_after=0.1,
        message=HELLO,
        hangup_after=hangup_after,
    )
    await settled(server)
    return result.status


def _answered_handsets(server: TasServer, number: str) -> list[str]:
    assert server.core is not None
    return [str(h.outcome) for h in server.core.handsets.history if h.number == number]


def _assert_forwarded(server: TasServer, detail: str) -> None:
    legs = server.app.journals
    assert len(legs) == 2
    leg2, leg3 = legs
    assert (leg2.record.direction, leg3.record.direction) == ("in", "out")
    assert leg2.kinds[0] == "invite" and detail in leg2.record.route + " " + str(leg2.record.action)
    assert "forwarded" in leg2.kinds and "answered" in leg2.kinds and "bye" in leg2.kinds
    assert leg3.kinds[0] == "invite" and "answered" in leg3.kinds
    assert leg2.record.outcome == leg3.record.outcome == Outcome.FORWARDED.value
    assert leg2.record.session_id is not None
    assert leg2.record.session_id == leg3.record.session_id


async def test_loop_goes_back_to_the_core_as_leg_3(server: TasServer) -> None:
    await register(server, SUBSCRIBER, Route.LOOP)
    assert await _call(server, CALLER, SUBSCRIBER) == 200
    _assert_forwarded(server, "loop")
    assert server.app.journals[0].record.callee == SUBSCRIBER
    assert _answered_handsets(server, SUBSCRIBER)
    events = voice_events(server)
    assert events[0] == "CALL_INITIATED" and events[-1] == "CALL_ENDED"
    assert "CALL_ANSWERED" in events


async def test_loop_mt_strips_the_mt_prefix(server: TasServer) -> None:
    await register(server, SUBSCRIBER, Route.LOOP_MT, mt="22")
    assert await _call(server, CALLER, SUBSCRIBER) == 200
    _assert_forwarded(server, "loop-mt")
    leg2 = server.app.journals[0]
    assert leg2.record.callee == SUBSCRIBER and leg2.record.subscriber == SUBSCRIBER
    assert _answered_handsets(server, SUBSCRIBER)
    assert {"CALL_INITIATED", "CALL_ANSWERED", "CALL_ENDED"} <= set(voice_events(server))


async def test_loop_mo_decodes_the_mo_prefix_and_calls_the_other_party(server: TasServer) -> None:
    await register(server, CALLER, Route.LOOP_MO, mo="11")
    assert await _call(server, CALLER, OTHER) == 200
    _assert_forwarded(server, "loop-mo")
    leg2, leg3 = server.app.journals
    assert leg2.record.subscriber == CALLER and leg2.record.callee == OTHER
    assert leg3.record.callee == OTHER
    assert _answered_handsets(server, OTHER)
    assert {"CALL_INITIATED", "CALL_ANSWERED", "CALL_ENDED"} <= set(voice_events(server))


async def test_fork_is_observed_and_cancelled_when_the_handset_answers(server: TasServer) -> None:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.FORK)
    server.core.handsets.set(SUBSCRIBER, "answer:1.0")  # the TAS has rung by then
    assert await _call(server, CALLER, SUBSCRIBER) == 200
    (leg,) = server.app.journals
    assert leg.record.action == "observe"
    assert leg.kinds == ["invite", "ringing", "cancel"]
    # the core's CANCEL says Reason: SIP;cause=200 (RFC 3326): not a caller who gave up
    assert leg.record.outcome == Outcome.ANSWERED_ELSEWHERE.value
    assert _answered_handsets(server, SUBSCRIBER)
    events = voice_events(server)
    assert events[0] == "CALL_INITIATED" and "CALL_ANSWERED" in events
    assert events[-1] == "CALL_ENDED"


async def test_fallback_no_answer_gets_the_no_answer_reason(server: TasServer) -> None:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.FALLBACK)
    short_greetings(server, SUBSCRIBER)
    server.core.handsets.set(SUBSCRIBER, "no-answer")
    result = await place_call(
        server.engine,
        server.core.address("UDP"),
        CALLER,
        SUBSCRIBER,
        speak_after=1.0,
        message=tones.tone([600.0], 1.5),
    )
    await settled(server)
    assert result.status == 200
    (leg,) = server.app.journals
    assert leg.record.outcome == Outcome.VOICEMAIL_LEFT.value
    (message,) = await server.voicemail.list_messages(SUBSCRIBER)
    assert message.reason.value == "no-answer"  # greeting: no-answer, else unavailable
    events = voice_events(server)
    assert events.index("CALL_RINGING") < events.index("CALL_FWD_VOICEMAIL")
    assert events[-1] == "NEW_VOICEMAIL"


async def test_unregistered_number_never_reaches_the_tas(server: TasServer) -> None:
    assert await _call(server, CALLER, "+4711111111", hangup_after=0.3) == 200
    assert server.app.journals == []  # the core's direct call, never the TAS
    assert _answered_handsets(server, "+4711111111")


async def test_ingress_lets_the_tas_call_the_registered_number(server: TasServer) -> None:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.INGRESS)
    host, port = server.core.address("TLS")
    record = await server.app.originate(
        SUBSCRIBER, f"sips:{host}:{port}", from_number=OTHER, announcement=HELLO
    )
    assert record.outcome == Outcome.ANSWERED_BY_HANDSET.value and record.status == 200
    (leg,) = server.app.journals
    assert leg.kinds[:3] == ["invite", "ringing", "answered"]
    assert leg.kinds[3:] == ["announcement", "bye"], leg.kinds
    assert _answered_handsets(server, SUBSCRIBER)
    events = voice_events(server)
    assert events[0] == "CALL_INITIATED" and "CALL_ANSWERED" in events


async def test_ingress_to_a_number_without_the_registration_is_refused(
    server: TasServer,
) -> None:
    assert server.core is not None
    host, port = server.core.address("TLS")
    record = await server.app.originate(SUBSCRIBER, f"sips:{host}:{port}")
    assert (record.outcome, record.status) == (Outcome.REJECTED.value, 403)
