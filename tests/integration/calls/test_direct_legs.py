"""Direct legs (issue 11, "one call path"): INVITEs from a trusted source for numbers we hold no
registration for run through the call application: ``tas policy`` for the number or ``*``
applies, else ``[invite]``; the answer comes from media/offer_answer.py (hold re-INVITEs,
PCMA-only, delayed offer), RTP is sent, RTP ports are bounded, every leg has a call record."""

from __future__ import annotations

import asyncio
import socket

import pytest

from tas.calls.policy import Action, Policy
from tas.calls.records import Outcome
from tas.server import TasServer
from tas.transport.stack import StackOptions
from tas.transport.ua import CallFailedError, UserAgent
from tests.integration.calls.calls_helpers import settled

pytestmark = pytest.mark.timeout(60)

NUMBER = "+4799990077"


def offer(port: int, formats: str = "0 101", direction: str = "sendrecv") -> bytes:
    return (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP {formats}\r\na=rtpmap:101 telephone-event/8000\r\n"
        f"a={direction}\r\n"
    ).encode()


def uri(server: TasServer, user: str) -> str:
    host, port = server.stack.local["UDP"]
    return f"sip:{user}@{host}:{port}"


class Sink(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.packets: list[bytes] = []

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.packets.append(data)


async def sink() -> tuple[asyncio.DatagramTransport, Sink]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        Sink, local_addr=("127.0.0.1", 0), family=socket.AF_INET
    )
    return transport, protocol


async def test_number_policy_and_wildcard_apply_to_direct_legs(server: TasServer) -> None:
    await server.app.policies.put(Policy(NUMBER, Action.REJECT, status=486))
    await server.app.policies.put(Policy("*", Action.REJECT, status=480))
    async with await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=())) as ua:
        with pytest.raises(CallFailedError) as by_number:
            await ua.call(uri(server, NUMBER), sdp=offer(4000))
        with pytest.raises(CallFailedError) as by_wildcard:
            await ua.call(uri(server, "service"), sdp=offer(4000))
    assert by_number.value.response.status == 486
    assert by_wildcard.value.response.status == 480
    await settled(server)
    records = [j.record for j in server.app.journals]
    assert [(r.route, r.callee, r.status) for r in records] == [
        ("direct", NUMBER, 486),
        ("direct", "service", 480),
    ]
    assert all(r.outcome == Outcome.REJECTED.value for r in records)


async def test_hold_resume_and_rtp_of_an_invite_answered_leg(server: TasServer) -> None:
    transport, rtp = await sink()
    port = transport.get_extra_info("sockname")[1]
    try:
        async with await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=())) as ua:
            call = await ua.call(uri(server, NUMBER), sdp=offer(port, "8"))  # PCMA only
            assert b"RTP/AVP 8\r\n" in call.remote_sdp and b"a=sendrecv" in call.remote_sdp
            await asyncio.sleep(0.5)
            before = len(rtp.packets)
            held = await call.reinvite(offer(port, "8", "sendonly"))
            assert held.status == 200 and b"a=recvonly" in held.body  # RFC 3264 §6.1
            await asyncio.sleep(0.1)
            mark = len(rtp.packets)
            await asyncio.sleep(0.5)
            during_hold = len(rtp.packets) - mark
            off = await call.reinvite(offer(port, "8", "inactive"))
            assert off.status == 200 and b"a=inactive" in off.body
            resumed = await call.reinvite(offer(port, "8", "sendrecv"))
            assert resumed.status == 200 and b"a=sendrecv" in resumed.body
            await asyncio.sleep(0.5)
            after = len(rtp.packets) - mark - during_hold
            assert await call.hangup() == "BYE"
    finally:
        transport.close()
    assert 18 <= before <= 30  # ~0.5 s at one packet per 20 ms
    assert during_hold == 0
    assert after >= 18
    assert {p[1] & 0x7F for p in rtp.packets if len(p) >= 12 and p[1] & 0x7F < 72} == {8}
    await settled(server)
    (journal,) = server.app.journals
    assert journal.record.route == "direct" and journal.record.action == "answer"
    assert journal.record.outcome == Outcome.ANSWERED_BY_TAS.value
    assert journal.kinds.count("reinvite") == 3 and journal.kinds[-1] == "bye"
    assert server.app.direct_stats.answered == 1 and not server.app.direct_stats.active
    assert server.engine.pool.in_use == 0


async def test_delayed_offer_gets_an_offer_and_rtp_goes_to_the_ack_answer(
    server: TasServer,
) -> None:
    transport, rtp = await sink()
    port = transport.get_extra_info("sockname")[1]
    offers: list[bytes] = []

    def answer(their_offer: bytes) -> bytes:  # RFC 3264 §5 via RFC 3261 §13.2.1: SDP in ACK
        offers.append(their_offer)
        return offer(port, "0")

    try:
        async with await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=())) as ua:
            call = await ua.call(uri(server, "service"), answer_offer=answer)
            await asyncio.sleep(0.5)
            assert await call.hangup() == "BYE"
    finally:
        transport.close()
    assert offers and b"m=audio " in offers[0] and b"PCMU/8000" in offers[0]
    assert len(rtp.packets) >= 15


async def test_no_free_rtp_port_is_503_with_retry_after(server: TasServer) -> None:
    pool = server.engine.pool
    taken = [pool.acquire() for _ in range(pool.capacity - pool.in_use)]
    try:
        async with await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=())) as ua:
            with pytest.raises(CallFailedError) as failed:
                await ua.call(uri(server, NUMBER), sdp=offer(4000))
    finally:
        for port in taken:
            pool.release(port)
    assert failed.value.response.status == 503
    assert failed.value.response.headers.get("Retry-After") == "5"
    await settled(server)
    assert server.app.journals[-1].record.status == 503
