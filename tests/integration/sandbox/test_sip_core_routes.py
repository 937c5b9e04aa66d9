"""The sandbox SIP core over real sockets: one test (or more) per route type.

A scripted caller (UAC over UDP) calls into the core; a scripted TAS (UAS over TLS) answers,
rejects, rings or loops the call back; handsets are the core's simulated subscribers. Each test
asserts the signalling on the legs and the VOICE_EVENTs the core published.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from media.session import MediaEngine
from tas.sandbox.routes import NULL_UUID
from tas.sip.call import Call
from tas.sip.events import CallAnswered, CallCancelled, CallEnded, CallFailed, CallProgress

from .sip_core_peers import Sandbox, eventually, sandbox, sdp

pytestmark = pytest.mark.timeout(60)

ALICE, BOB, CAROL = "+4712345678", "+4799990000", "+4755555555"


@pytest.fixture
async def engine() -> AsyncIterator[MediaEngine]:
    yield MediaEngine("127.0.0.1", 61000, 61499)


@pytest.fixture
async def box(tmp_path: Path, engine: MediaEngine) -> AsyncIterator[Sandbox]:
    async with sandbox(tmp_path, engine) as sb:
        yield sb


def session_uuid(call_invite_header: str | None) -> str:
    assert call_invite_header is not None
    local, _, remote = call_invite_header.partition(";remote=")
    assert remote == NULL_UUID
    return local


async def test_direct_call_reaches_the_handset_and_emits_events(box: Sandbox) -> None:
    call = box.caller.call(BOB)
    outcome = await box.caller.outcome(call)
    assert isinstance(outcome, CallAnswered)
    assert box.caller.of(CallProgress, call)  # 180 relayed from the handset
    assert box.tas.invites == []
    box.caller.act(lambda now: box.caller.stack.endpoint.bye(call, now))
    await box.ended()
    call_id = box.only_call_id()
    assert box.event_names(call_id) == [
        "CALL_INITIATED",
        "CALL_RINGING",
        "CALL_ANSWERED",
        "CALL_ENDED",
    ]
    first = box.voice_events(call_id)[0]
    assert (first.from_number.e164, first.to_number.e164) == (ALICE, BOB)
    assert [h.outcome for h in box.core.handsets.history] == ["ended"]


async def test_handset_busy_and_reject_are_relayed(box: Sandbox) -> None:
    box.core.handsets.set(BOB, "busy")
    busy = await box.caller.outcome(box.caller.call(BOB))
    assert isinstance(busy, CallFailed) and busy.response.status == 486
    box.core.handsets.set(BOB, "reject")
    rejected = await box.caller.outcome(box.caller.call(BOB))
    assert isinstance(rejected, CallFailed) and rejected.response.status == 603
    await box.ended()
    names = [box.event_names(c.call_id) for c in box.core.finished]
    assert names == [["CALL_INITIATED", "CALL_ENDED"]] * 2


async def test_loop_mt_prefix_session_id_and_leg3_to_the_handset(box: Sandbox) -> None:
    box.register(BOB, "loop_mt", mt="22")
    box.tas.script.action = "loop"
    box.tas.script.strip = "22"
    call = box.caller.call(BOB)
    assert isinstance(await box.caller.outcome(call), CallAnswered)
    leg2 = box.tas.invites[0].invite
    assert leg2.uri.user == "+224799990000"  # type: ignore[union-attr]
    assert leg2.uri.scheme == "sips"
    call_id = session_uuid(leg2.headers.get("Session-ID"))
    assert leg2.headers.get("P-Asserted-Identity") == f"<sip:{ALICE}@127.0.0.1>"
    # leg 4: the core continued to Bob's handset with the same Session-ID
    handset = box.core.handsets.history[0]
    assert (handset.number, handset.outcome) == (BOB, "answered")
    assert handset.session_id is not None and handset.session_id.startswith(call_id)
    assert box.core.calls[call_id].trace[-2:] == [f"handset {BOB}", "answered"]
    # the caller hangs up: BYE crosses leg 1 -> leg 2 (TAS) -> leg 3 -> leg 4
    box.caller.act(lambda now: box.caller.stack.endpoint.bye(call, now))
    await box.ended()
    await eventually(lambda: box.core.handsets.history[0].outcome == "ended")
    assert box.event_names(call_id) == [
        "CALL_INITIATED",
        "CALL_RINGING",
        "CALL_ANSWERED",
        "CALL_ENDED",
    ]
    assert {e.call_id for e in box.voice_events()} == {call_id}


async def test_loop_mo_prefix_for_the_registered_caller(box: Sandbox) -> None:
    box.register(ALICE, "loop_mo", mo="11", mt="33")
    box.register(BOB, "fork")  # one TAS visit per call: the caller's registration wins
    box.tas.script.action = "loop"
    box.tas.script.strip = "11"
    call = box.caller.call(BOB)
    assert isinstance(await box.caller.outcome(call), CallAnswered)
    assert [c.invite.uri.user for c in box.tas.invites] == ["+114799990000"]  # type: ignore[union-attr]
    call_id = box.only_call_id()
    assert box.voice_events(call_id)[0].to_number.e164 == BOB
    box.caller.act(lambda now: box.caller.stack.endpoint.bye(call, now))
    await box.ended()


async def test_loop_tas_answers_leg2_itself(box: Sandbox) -> None:
    box.register(BOB, "loop")
    call = box.caller.call(BOB)
    assert isinstance(await box.caller.outcome(call), CallAnswered)
    assert box.tas.invites[0].invite.uri.user == BOB  # type: ignore[union-attr]  # no prefix
    assert list(box.core.handsets.history) == []  # no leg 4
    box.tas.act(lambda now: box.tas.stack.endpoint.bye(box.tas.invites[0], now))
    await box.caller.wait_for(CallEnded, call)
    await box.ended()
    assert box.event_names(box.only_call_id())[-1] == "CALL_ENDED"


async def test_loop_tas_rejects_leg2(box: Sandbox) -> None:
    box.register(BOB, "loop")
    box.tas.script.action = "reject"
    box.tas.script.status = 603
    outcome = await box.caller.outcome(box.caller.call(BOB))
    assert isinstance(outcome, CallFailed) and outcome.response.status == 603
    await box.ended()
    assert box.event_names(box.only_call_id()) == ["CALL_INITIATED", "CALL_ENDED"]


async def test_fork_handset_wins_and_the_tas_gets_cancel(box: Sandbox) -> None:
    box.register(BOB, "fork", mt="22")
    box.tas.script.action = "ring"
    call = box.caller.call(BOB)
    assert isinstance(await box.caller.outcome(call), CallAnswered)
    tas_leg = box.tas.invites[0]
    assert tas_leg.invite.uri.user == "+224799990000"  # type: ignore[union-attr]
    cancelled = await box.tas.wait_for(CallCancelled, tas_leg)
    assert cancelled.cancel is not None  # RFC 3326: the losing branch learns why
    assert cancelled.cancel.headers.get("Reason") == 'SIP;cause=200;text="Call completed elsewhere"'
    box.caller.act(lambda now: box.caller.stack.endpoint.bye(call, now))
    await box.ended()
    call_id = session_uuid(tas_leg.invite.headers.get("Session-ID"))
    assert box.event_names(call_id)[2:] == ["CALL_ANSWERED", "CALL_ENDED"]


async def test_fork_tas_wins_and_the_handset_gets_cancel(box: Sandbox) -> None:
    box.register(BOB, "fork")
    box.core.handsets.set(BOB, "no-answer")
    box.tas.script.delay = 0.2
    call = box.caller.call(BOB)
    assert isinstance(await box.caller.outcome(call), CallAnswered)
    await eventually(lambda: box.core.handsets.history[0].outcome == "cancelled")
    tas_leg = box.tas.invites[0]
    box.caller.act(lambda now: box.caller.stack.endpoint.bye(call, now))
    await box.tas.wait_for(CallEnded, tas_leg)
    await box.ended()


async def test_fallback_after_busy(box: Sandbox) -> None:
    box.register(BOB, "fallback", mt="22")
    box.core.handsets.set(BOB, "busy")
    call = box.caller.call(BOB)
    assert isinstance(await box.caller.outcome(call), CallAnswered)
    tas_leg = box.tas.invites[0].invite
    assert tas_leg.uri.user == "+224799990000"  # type: ignore[union-attr]
    assert tas_leg.headers.get("Diversion") == f"<sip:{BOB}@127.0.0.1>;reason=user-busy;counter=1"
    assert tas_leg.headers.get("History-Info") == (  # RFC 7044 + RFC 4458 cause, next to it
        f"<sip:{BOB}@127.0.0.1>;index=1, <{tas_leg.uri};cause=486>;index=1.1;mp=1"
    )
    call_id = session_uuid(tas_leg.headers.get("Session-ID"))
    assert [h.outcome for h in box.core.handsets.history] == ["busy"]
    box.caller.act(lambda now: box.caller.stack.endpoint.bye(call, now))
    await box.ended()
    assert box.event_names(call_id) == [
        "CALL_INITIATED",
        "CALL_FWD_VOICEMAIL",
        "CALL_RINGING",
        "CALL_ANSWERED",
        "CALL_ENDED",
    ]


async def test_fallback_after_no_answer_timeout(box: Sandbox) -> None:
    box.register(BOB, "fallback")
    box.core.handsets.set(BOB, "no-answer")
    call = box.caller.call(BOB)
    assert isinstance(await box.caller.outcome(call), CallAnswered)
    assert box.core.handsets.history[0].outcome == "cancelled"
    tas_leg = box.tas.invites[0].invite
    assert "reason=no-answer" in (tas_leg.headers.get("Diversion") or "")
    assert ";cause=408>;index=1.1;mp=1" in (tas_leg.headers.get("History-Info") or "")
    box.caller.act(lambda now: box.caller.stack.endpoint.bye(call, now))
    await box.ended()
    assert box.event_names(box.only_call_id()) == [
        "CALL_INITIATED",
        "CALL_RINGING",
        "CALL_FWD_VOICEMAIL",
        "CALL_ANSWERED",
        "CALL_ENDED",
    ]


async def test_fallback_not_taken_when_the_handset_answers(box: Sandbox) -> None:
    box.register(BOB, "fallback")
    call = box.caller.call(BOB)
    assert isinstance(await box.caller.outcome(call), CallAnswered)
    box.caller.act(lambda now: box.caller.stack.endpoint.bye(call, now))
    await box.ended()
    assert box.tas.invites == []
    assert "CALL_FWD_VOICEMAIL" not in box.event_names(box.only_call_id())


async def test_ingress_from_the_tas_to_a_registered_number(box: Sandbox) -> None:
    box.register(BOB, "ingress")
    host, port = box.core.address("TLS")
    ep = box.tas.stack.endpoint

    def place(number: str) -> Call:
        call = ep.invite(
            f"sips:{number}@{host}:{port}",
            box.tas.stack.now(),
            from_uri="sip:+4711111111@tas.example",
            body=sdp(),
        )
        box.tas.stack.flush()
        return call

    allowed = place(BOB)
    outcome = await _outcome(box, allowed)
    assert isinstance(outcome, CallAnswered)
    assert [h.number for h in box.core.handsets.history] == [BOB]
    refused = await _outcome(box, place(CAROL))
    assert isinstance(refused, CallFailed) and refused.response.status == 403
    box.tas.act(lambda now: ep.bye(allowed, now))
    await box.ended()
    events = box.voice_events(box.only_call_id())
    assert [(e.from_number.e164, e.to_number.e164) for e in events[:1]] == [("+4711111111", BOB)]
    assert box.event_names(events[0].call_id)[-1] == "CALL_ENDED"


async def test_tas_calls_to_unregistered_numbers_are_forbidden(box: Sandbox) -> None:
    box.register(BOB, "fork")  # registered, but not for INGRESS
    host, port = box.core.address("TLS")
    ep = box.tas.stack.endpoint
    call = ep.invite(f"sips:{BOB}@{host}:{port}", box.tas.stack.now(), body=sdp())
    box.tas.stack.flush()
    refused = await _outcome(box, call)
    assert isinstance(refused, CallFailed) and refused.response.status == 403
    assert box.voice_events() == []


async def _outcome(box: Sandbox, call: Call) -> CallAnswered | CallFailed:
    peer = box.tas
    await eventually(lambda: bool(peer.of(CallAnswered, call) or peer.of(CallFailed, call)))
    found: list[CallAnswered | CallFailed] = [*peer.of(CallAnswered, call)]
    return (found + [*peer.of(CallFailed, call)])[0]


async def test_cancel_before_answer_cancels_every_leg(box: Sandbox) -> None:
    box.register(BOB, "fork")
    box.core.handsets.set(BOB, "no-answer")
    box.tas.script.action = "ring"
    call = box.caller.call(BOB)
    await box.caller.wait_for(CallProgress, call)
    await eventually(lambda: len(box.tas.invites) == 1)
    box.caller.act(lambda now: box.caller.stack.endpoint.cancel(call, now))
    failed = await box.caller.outcome(call)
    assert isinstance(failed, CallFailed) and failed.response.status == 487
    await box.tas.wait_for(CallCancelled, box.tas.invites[0])
    await eventually(lambda: box.core.handsets.history[0].outcome == "cancelled")
    await box.ended()
    assert box.event_names(box.only_call_id()) == [
        "CALL_INITIATED",
        "CALL_RINGING",
        "CALL_ENDED",
    ]


async def test_asserted_identity_routes_and_privacy_hides_it(box: Sandbox) -> None:
    box.register(ALICE, "loop_mo", mo="11")
    call = box.caller.call(
        BOB,
        caller="anonymous",
        headers={"P-Asserted-Identity": f"<sip:{ALICE}@127.0.0.1>", "Privacy": "id"},
    )
    assert isinstance(await box.caller.outcome(call), CallAnswered)  # the TAS answers leg 2
    leg2 = box.tas.invites[0].invite
    assert leg2.uri.user == "+114799990000"  # type: ignore[union-attr]  # MO by the asserted caller
    # within the trust domain: the asserted number, marked private (RFC 3325 §9.1, §9.3)
    assert leg2.headers.get("P-Asserted-Identity") == f"<sip:{ALICE}@127.0.0.1>"
    assert leg2.headers.get("Privacy") == "id"
    assert str(leg2.from_.uri) == "sip:anonymous@anonymous.invalid"  # RFC 3323 §4.1.1.3
    box.caller.act(lambda now: box.caller.stack.endpoint.bye(call, now))
    await box.ended()
    events = box.voice_events(box.only_call_id())
    assert {(e.from_number.e164, e.caller_id_hidden) for e in events} == {(ALICE, True)}


async def test_caller_flagged_hidden_reaches_the_handset_anonymous(box: Sandbox) -> None:
    """``[sandbox] hidden_callers``: CLIR as a subscriber setting; the handset sees no number
    and the core's events say callerIdHidden (RFC 3323 §4.1.1.3)."""
    box.core.sandbox.hidden_callers = [ALICE]
    call = box.caller.call(BOB)  # a plain DIRECT call from Alice, who hides her number
    assert isinstance(await box.caller.outcome(call), CallAnswered)
    handset_stack = box.core.handsets.stack
    assert handset_stack is not None
    (leg,) = handset_stack.endpoint.calls.values()
    assert str(leg.invite.from_.uri) == "sip:anonymous@anonymous.invalid"
    box.caller.act(lambda now: box.caller.stack.endpoint.bye(call, now))
    await box.ended()
    events = box.voice_events(box.only_call_id())
    assert events and all(e.caller_id_hidden for e in events)
