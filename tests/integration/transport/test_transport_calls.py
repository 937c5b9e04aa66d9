"""Calls between two real stacks on loopback over UDP, TCP and TLS (RFC 3261 §18)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tas.sip.events import DialogRequest
from tas.transport.stack import StackOptions
from tas.transport.tls import client_context, ensure_self_signed, server_context
from tas.transport.ua import CallFailedError, CallHandle, UserAgent

pytestmark = pytest.mark.timeout(30)

SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
HOLD = SDP + b"a=sendonly\r\n"


def options(transport: str, tmp_path: Path) -> StackOptions:
    if transport == "TLS":
        cert, key = ensure_self_signed(tmp_path)
        return StackOptions(
            udp=(),
            tcp=(),
            tls=("127.0.0.1:0",),
            server_ssl=server_context(cert, key),
            client_ssl=client_context(cert),
        )
    if transport == "TCP":
        return StackOptions(udp=(), tcp=("127.0.0.1:0",))
    return StackOptions(udp=("127.0.0.1:0",), tcp=())


async def answer_next(ua: UserAgent) -> CallHandle:
    call = await ua.next_call()
    call.ring()
    call.answer(SDP)
    return call


@pytest.mark.parametrize("transport", ["UDP", "TCP", "TLS"])
async def test_call_reinvite_info_and_bye(transport: str, tmp_path: Path) -> None:
    async with (
        await UserAgent.open(options(transport, tmp_path)) as alice,
        await UserAgent.open(options(transport, tmp_path)) as bob,
    ):
        host, port = bob.stack.local[transport]
        uri = f"sip:bob@{host}:{port};transport={transport.lower()}"
        callee = asyncio.create_task(answer_next(bob))
        async with await alice.call(uri, sdp=SDP) as call_a:
            call_b = await callee
            await call_b.wait_confirmed()
            assert call_a.remote_sdp == SDP and call_b.remote_sdp == SDP
            assert [r.status for r in call_a.provisional] == [180]
            held = await call_a.reinvite(HOLD)
            assert held.status == 200 and call_b.call.remote_sdp == HOLD
            back = await call_b.reinvite(SDP)  # the callee re-INVITEs too
            assert back.status == 200
            info = await call_a.info(b"Signal=5\r\n", "application/dtmf-relay")
            assert info.status == 200
            event = await asyncio.wait_for(call_b.events.get(), 5)
            assert isinstance(event, DialogRequest) and event.request.body == b"Signal=5\r\n"
        assert await asyncio.wait_for(call_b.wait_ended(), 5) == "BYE"
        if transport != "UDP":
            # responses and in-dialog requests reused the one connection (§18.2.2)
            assert len(list(alice.stack.connections())) == 1
            assert len(list(bob.stack.connections())) == 1


async def test_callee_hangs_up_over_the_inbound_tcp_connection(tmp_path: Path) -> None:
    async with (
        await UserAgent.open(options("TCP", tmp_path)) as alice,
        await UserAgent.open(options("TCP", tmp_path)) as bob,
    ):
        host, port = bob.stack.local["TCP"]
        callee = asyncio.create_task(answer_next(bob))
        call_a = await alice.call(f"sip:bob@{host}:{port};transport=tcp", sdp=SDP)
        call_b = await callee
        await call_b.wait_confirmed()
        assert await call_b.hangup() == "BYE"
        assert await asyncio.wait_for(call_a.wait_ended(), 5) == "BYE"
        assert len(list(bob.stack.connections())) == 1


async def test_rejected_and_unreachable_calls_fail(tmp_path: Path) -> None:
    async with (
        await UserAgent.open(options("UDP", tmp_path)) as alice,
        await UserAgent.open(options("UDP", tmp_path)) as bob,
        await UserAgent.open(options("TCP", tmp_path)) as carol,
    ):
        host, port = bob.stack.local["UDP"]

        async def reject() -> None:
            (await bob.next_call()).reject(486)

        task = asyncio.create_task(reject())
        with pytest.raises(CallFailedError) as failed:
            await alice.call(f"sip:bob@{host}:{port}", sdp=SDP)
        assert failed.value.response.status == 486
        await task
        # Nobody listens on this TCP port: the connect fails and the INVITE gets a 503.
        with pytest.raises(CallFailedError) as refused:
            await carol.call(f"sip:x@127.0.0.1:{port};transport=tcp", sdp=SDP)
        assert refused.value.response.status == 503


async def test_cancel_while_ringing(tmp_path: Path) -> None:
    async with (
        await UserAgent.open(options("UDP", tmp_path)) as alice,
        await UserAgent.open(options("UDP", tmp_path)) as bob,
    ):
        host, port = bob.stack.local["UDP"]
        call_a = alice.dial(f"sip:bob@{host}:{port}", sdp=SDP)
        call_b = await bob.next_call()
        call_b.ring()
        await asyncio.sleep(0.05)
        assert await call_a.hangup() == "487"  # BYE before answer becomes CANCEL
        assert await asyncio.wait_for(call_b.wait_ended(), 5) == "cancelled"


async def test_options_out_of_dialog(tmp_path: Path) -> None:
    async with (
        await UserAgent.open(options("UDP", tmp_path)) as alice,
        await UserAgent.open(options("UDP", tmp_path)) as bob,
    ):
        host, port = bob.stack.local["UDP"]
        response = await alice.request("OPTIONS", f"sip:{host}:{port}")
        assert response.status == 200 and "INVITE" in (response.headers.get("Allow") or "")


async def test_udp_target_from_a_tcp_only_stack_fails_with_503(tmp_path: Path) -> None:
    async with await UserAgent.open(options("TCP", tmp_path)) as carol:
        with pytest.raises(CallFailedError) as failed:
            await asyncio.wait_for(carol.call("sip:x@127.0.0.1:9;transport=udp", sdp=SDP), 5)
        assert failed.value.response.status == 503


async def test_out_of_dialog_request_reaches_the_application(tmp_path: Path) -> None:
    async with (
        await UserAgent.open(options("UDP", tmp_path)) as alice,
        await UserAgent.open(options("UDP", tmp_path)) as bob,
    ):
        host, port = bob.stack.local["UDP"]

        async def serve_one() -> None:
            received = await bob.next_request()
            assert received.request.method == "MESSAGE" and received.request.body == b"hi"
            bob.respond(received, 202, headers={"X-Seen": "1"})

        task = asyncio.create_task(serve_one())
        reply = await alice.request(
            "MESSAGE", f"sip:bob@{host}:{port}", body=b"hi", content_type="text/plain"
        )
        await task
        assert reply.status == 202 and reply.headers.get("X-Seen") == "1"


async def test_hanging_up_an_unanswered_incoming_call_rejects_it(tmp_path: Path) -> None:
    async with (
        await UserAgent.open(options("UDP", tmp_path)) as alice,
        await UserAgent.open(options("UDP", tmp_path)) as bob,
    ):
        host, port = bob.stack.local["UDP"]
        call_a = alice.dial(f"sip:bob@{host}:{port}", sdp=SDP)
        call_b = await bob.next_call()
        assert await call_b.hangup() == "rejected 480"
        with pytest.raises(CallFailedError) as failed:
            await asyncio.wait_for(call_a.answered, 5)
        assert failed.value.response.status == 480
