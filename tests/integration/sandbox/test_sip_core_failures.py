"""The sandbox core ends both sides cleanly when something fails: unreachable or untrusted
TAS, bad requests, answer races, shutdown; and it takes callers over TCP as well as UDP."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from media.session import MediaEngine
from tas.sip.events import CallAnswered, CallCancelled, CallEnded, CallFailed
from tas.transport.stack import SipStack, StackOptions
from tas.transport.tls import ensure_self_signed, server_context

from .sip_core_peers import FAST, Caller, Sandbox, ScriptedTas, eventually, sandbox, sdp

pytestmark = pytest.mark.timeout(60)

ALICE, BOB = "+4712345678", "+4799990000"


@pytest.fixture
async def engine() -> AsyncIterator[MediaEngine]:
    yield MediaEngine("127.0.0.1", 62000, 62499)


@pytest.fixture
async def box(tmp_path: Path, engine: MediaEngine) -> AsyncIterator[Sandbox]:
    async with sandbox(tmp_path, engine) as sb:
        yield sb


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def register_dead_tas(box: Sandbox, route: str) -> None:
    box.plane.breakouts.upsert(
        BOB, route.upper(), f"sips:127.0.0.1:{closed_port()}", now=box.plane.clock()
    )


async def test_loop_to_an_unreachable_tas_fails_with_503(box: Sandbox) -> None:
    register_dead_tas(box, "loop")
    failed = await box.caller.outcome(box.caller.call(BOB))
    assert isinstance(failed, CallFailed) and failed.response.status == 503
    await box.ended()
    assert box.event_names(box.only_call_id()) == ["CALL_INITIATED", "CALL_ENDED"]


async def test_fallback_to_an_unreachable_tas_relays_busy(box: Sandbox) -> None:
    register_dead_tas(box, "fallback")
    box.core.handsets.set(BOB, "busy")
    failed = await box.caller.outcome(box.caller.call(BOB))
    assert isinstance(failed, CallFailed) and failed.response.status == 486
    await box.ended()
    assert box.event_names(box.only_call_id()) == [
        "CALL_INITIATED",
        "CALL_FWD_VOICEMAIL",
        "CALL_ENDED",
    ]


async def test_fallback_does_not_divert_a_declined_call(box: Sandbox) -> None:
    box.register(BOB, "fallback")
    box.core.handsets.set(BOB, "reject")
    failed = await box.caller.outcome(box.caller.call(BOB))
    assert isinstance(failed, CallFailed) and failed.response.status == 603
    await box.ended()
    assert box.tas.invites == []


async def test_an_untrusted_tas_certificate_is_refused(box: Sandbox, tmp_path: Path) -> None:
    cert, key = ensure_self_signed(tmp_path / "other-tls", "127.0.0.1")
    stranger = await SipStack.open(
        StackOptions(
            udp=(), tcp=(), tls=("127.0.0.1:0",), server_ssl=server_context(cert, key), timers=FAST
        )
    )
    box.extra.append(stranger)
    tas = ScriptedTas(stranger, box.core.address("TLS"))
    box.plane.breakouts.upsert(BOB, "LOOP", tas.uri, now=box.plane.clock())
    failed = await box.caller.outcome(box.caller.call(BOB))
    assert isinstance(failed, CallFailed) and failed.response.status == 503
    assert tas.invites == []
    await box.ended()


async def test_verification_can_be_switched_off_in_the_sandbox(
    tmp_path: Path, engine: MediaEngine
) -> None:
    async with sandbox(tmp_path, engine, verify_tas=False) as box:
        cert, key = ensure_self_signed(tmp_path / "other-tls", "127.0.0.1")
        stranger = await SipStack.open(
            StackOptions(
                udp=(),
                tcp=(),
                tls=("127.0.0.1:0",),
                server_ssl=server_context(cert, key),
                timers=FAST,
            )
        )
        box.extra.append(stranger)
        tas = ScriptedTas(stranger, box.core.address("TLS"))
        box.plane.breakouts.upsert(BOB, "LOOP", tas.uri, now=box.plane.clock())
        call = box.caller.call(BOB)
        assert isinstance(await box.caller.outcome(call), CallAnswered)
        box.caller.act(lambda now: box.caller.stack.endpoint.bye(call, now))
        await box.ended()


async def test_leg3_with_an_unknown_session_id_is_no_leg3(box: Sandbox) -> None:
    box.register(BOB, "loop")
    box.tas.script.action = "loop"
    box.tas.script.leg3_target = None
    host, port = box.core.address("TLS")
    ep = box.tas.stack.endpoint
    stray = ep.invite(
        f"sips:{BOB}@{host}:{port}",
        box.tas.stack.now(),
        body=sdp(),
        headers={"Session-ID": "ab" * 16 + ";remote=" + "0" * 32},
    )
    box.tas.stack.flush()
    await box.tas.wait_for(CallFailed, stray)
    assert box.tas.of(CallFailed, stray)[0].response.status == 403  # not INGRESS either


@pytest.mark.parametrize(
    ("uri_user", "body", "status"), [("bob", None, 404), (BOB, b"", 488)], ids=["404", "488"]
)
async def test_bad_requests_are_refused(
    box: Sandbox, uri_user: str, body: bytes | None, status: int
) -> None:
    failed = await box.caller.outcome(box.caller.call(uri_user, body=body))
    assert isinstance(failed, CallFailed) and failed.response.status == status
    assert box.voice_events() == []


async def test_fork_when_both_answer_the_loser_is_hung_up(box: Sandbox) -> None:
    box.register(BOB, "fork")
    box.core.handsets.set(BOB, "answer:0")
    box.tas.script.delay = 0.0
    call = box.caller.call(BOB)
    assert isinstance(await box.caller.outcome(call), CallAnswered)
    tas_leg = box.tas.invites[0]
    handset = box.core.handsets.history[0]
    # exactly one side stays up: the other got CANCEL (before its 2xx) or BYE (after it)
    await eventually(
        lambda: (
            (handset.outcome in ("cancelled", "ended"))
            != bool(box.tas.of(CallEnded, tas_leg) or box.tas.of(CallCancelled, tas_leg))
        )
    )
    box.caller.act(lambda now: box.caller.stack.endpoint.bye(call, now))
    await box.ended()
    assert len(box.caller.of(CallAnswered, call)) == 1


async def test_tcp_caller(box: Sandbox) -> None:
    stack = await SipStack.open(StackOptions(udp=(), tcp=("127.0.0.1:0",), timers=FAST))
    box.extra.append(stack)
    caller = Caller(stack, box.core.address("TCP"))
    host, port = box.core.address("TCP")
    call = stack.endpoint.invite(
        f"sip:{BOB}@{host}:{port};transport=tcp",
        stack.now(),
        from_uri=f"sip:{ALICE}@127.0.0.1",
        body=sdp(),
    )
    stack.flush()
    assert isinstance(await caller.outcome(call), CallAnswered)
    caller.act(lambda now: stack.endpoint.bye(call, now))
    await caller.wait_for(CallEnded, call)
    await box.ended()


async def test_stop_hangs_up_calls_in_progress(box: Sandbox) -> None:
    box.register(BOB, "fork")
    box.tas.script.action = "ring"
    answered = box.caller.call(BOB)
    assert isinstance(await box.caller.outcome(answered), CallAnswered)
    box.core.handsets.set("+4788888888", "no-answer")
    ringing = box.caller.call("+4788888888")
    await eventually(lambda: len(box.core.handsets.history) == 2)
    await box.core.stop(grace=2.0)
    await box.caller.wait_for(CallEnded, answered)
    failed = await box.caller.outcome(ringing)
    assert isinstance(failed, CallFailed) and failed.response.status == 503
    assert not box.core.calls


async def test_fork_tas_rejection_does_not_decide_the_call(box: Sandbox) -> None:
    box.register(BOB, "fork")
    box.tas.script.action = "reject"
    box.tas.script.status = 603
    answered = box.caller.call(BOB)
    assert isinstance(await box.caller.outcome(answered), CallAnswered)  # the handset answers
    box.caller.act(lambda now: box.caller.stack.endpoint.bye(answered, now))
    await box.ended()
    box.core.handsets.set(BOB, "busy")
    busy = await box.caller.outcome(box.caller.call(BOB))
    assert isinstance(busy, CallFailed) and busy.response.status == 486  # not the TAS's 603
    await box.ended()


async def test_leg3_after_the_call_ended_gets_481(box: Sandbox) -> None:
    box.register(BOB, "loop")
    box.tas.script.action = "reject"
    await box.caller.outcome(box.caller.call(BOB))
    await box.ended()
    session_id = box.tas.invites[0].invite.headers.get("Session-ID")
    assert session_id is not None
    host, port = box.core.address("TLS")
    ep = box.tas.stack.endpoint
    late = ep.invite(
        f"sips:{BOB}@{host}:{port}",
        box.tas.stack.now(),
        body=sdp(),
        headers={"Session-ID": session_id},
    )
    box.tas.stack.flush()
    failed = await box.tas.wait_for(CallFailed, late)
    assert failed.response.status == 481
