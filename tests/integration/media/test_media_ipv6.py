"""Dual-stack media (issue 11): an IPv6 offer is answered over IPv6 or refused with 488,
and every path gives the RTP port pair back."""

import asyncio
import socket

import pytest

from media.errors import OfferAnswerError
from media.rtp import RtpPacket
from media.sdp import SessionDescription
from media.session import MediaEngine, MediaSession

pytestmark = pytest.mark.skipif(not socket.has_ipv6, reason="kernel without IPv6")


def offer(host: str, port: int, addrtype: str) -> str:
    return (
        f"v=0\r\no=peer 1 1 IN {addrtype} {host}\r\ns=-\r\nc=IN {addrtype} {host}\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
    )


class Capture(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.packets: list[RtpPacket] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) > 1 and not 192 <= data[1] <= 223:
            self.packets.append(RtpPacket.parse(data))


async def test_ipv6_offer_gets_an_ipv6_answer_and_rtp_over_ipv6() -> None:
    loop = asyncio.get_running_loop()
    transport, capture = await loop.create_datagram_endpoint(Capture, local_addr=("::1", 0))
    port = transport.get_extra_info("sockname")[1]
    engine = MediaEngine("127.0.0.1", 31500, 31599)  # v6 defaults to ::1 beside loopback
    session, answer = await MediaSession.create(engine, offer("::1", port, "IP6"))
    sdp = SessionDescription.parse(answer)
    assert sdp.connection is not None and str(sdp.connection) == "IN IP6 ::1"
    assert sdp.origin.addrtype == "IP6" and session.endpoint.host == "::1"
    assert engine.pool.in_use == 1
    await asyncio.sleep(0.2)
    assert await session.close() is None  # no "socket family mismatch"
    await asyncio.sleep(0.02)
    transport.close()
    assert engine.pool.in_use == 0
    assert len(capture.packets) >= 8 and {p.ssrc for p in capture.packets} == {session._ssrc}


async def test_ipv6_offer_without_an_ipv6_address_is_488_and_takes_no_port() -> None:
    engine = MediaEngine("192.0.2.10", 31600, 31699, host6=None)
    with pytest.raises(OfferAnswerError) as caught:
        await MediaSession.create(engine, offer("2001:db8::1", 4000, "IP6"))
    assert caught.value.status == 488 and "IPv6" in str(caught.value)
    assert engine.pool.in_use == 0


async def test_a_reoffer_in_the_other_family_is_refused_and_close_still_frees() -> None:
    engine = MediaEngine("127.0.0.1", 31700, 31799)
    session, _ = await MediaSession.create(engine, offer("127.0.0.1", 4000, "IP4"))
    with pytest.raises(OfferAnswerError):
        session.update(offer("::1", 4000, "IP6"))
    await session.close()
    assert engine.pool.in_use == 0
