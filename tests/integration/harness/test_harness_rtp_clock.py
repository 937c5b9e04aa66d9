"""``tas call`` RTP as the far end's socket sees it (issue 11: it sent ~57 packets/s with
timestamps stepping +160, 0, -160 every 0.2 s prompt chunk)."""

from __future__ import annotations

import asyncio
import json

from tests.integration.harness.conftest import tas_call
from tests.naive_sip import header_map, ok_response


class Far(asyncio.DatagramProtocol):
    """A bare SIP answerer on UDP whose SDP points at ``media`` (a capture socket)."""

    def __init__(self, media: int) -> None:
        self.media = media
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        text = data.decode(errors="replace")
        method = text.split(" ", 1)[0]
        if method not in ("INVITE", "BYE"):
            return
        head = header_map(text)
        sdp = ""
        if method == "INVITE":
            sdp = (
                "v=0\r\no=far 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                f"m=audio {self.media} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
                "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
            )
        assert self.transport is not None
        contact = f"<sip:far@127.0.0.1:{self.transport.get_extra_info('sockname')[1]}>"
        self.transport.sendto(ok_response(head, sdp, tag="far", contact=contact), addr)


class Capture(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.packets: list[tuple[float, bytes]] = []
        self.loop = asyncio.get_running_loop()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) >= 12 and not 192 <= data[1] <= 223:  # RTP, not (muxed) RTCP
            self.packets.append((self.loop.time(), data))


async def test_tas_call_sends_50_packets_a_second_on_one_exact_clock() -> None:
    loop = asyncio.get_running_loop()
    media, capture = await loop.create_datagram_endpoint(Capture, local_addr=("127.0.0.1", 0))
    sip, _ = await loop.create_datagram_endpoint(
        lambda: Far(media.get_extra_info("sockname")[1]), local_addr=("127.0.0.1", 0)
    )
    target = f"sip:far@127.0.0.1:{sip.get_extra_info('sockname')[1]}"
    try:
        result = await tas_call(target, "--play", "speech", "--duration", "3s",
                                "--dtmf", "5@1s", "--json")  # fmt: skip
    finally:
        sip.close()
        media.close()
    assert result.exit_code in (0, 1), result.output
    call = json.loads(result.stdout)["result"]
    assert call["status"] == 200 and call["ended_by"] == "local"
    packets = [(at, data) for at, data in capture.packets]
    first_at, last_at = packets[0][0], packets[-1][0]
    rate = (len(packets) - 1) / (last_at - first_at)
    assert abs(rate - 50) < 1.0, rate
    assert call["rtp"]["packets_sent"] == len(packets)
    ssrcs = {data[8:12] for _, data in packets}
    assert len(ssrcs) == 1
    seq0 = int.from_bytes(packets[0][1][2:4], "big")
    ts0 = int.from_bytes(packets[0][1][4:8], "big")
    events = 0
    for _, data in packets:
        seq = int.from_bytes(data[2:4], "big")
        ts = int.from_bytes(data[4:8], "big")
        steps = (seq - seq0) & 0xFFFF
        if data[1] & 0x7F == 101:  # RFC 4733: the event's start timestamp, not later
            events += 1
            assert 0 <= (ts0 + 160 * steps - ts) & 0xFFFFFFFF <= 160 * 20
        else:  # every audio packet sits exactly on the stream clock: no 0 or -160 steps
            assert ts == (ts0 + 160 * steps) & 0xFFFFFFFF, (steps, ts - ts0)
    assert events >= 4  # one digit: updates + three end packets
    assert [(data[1] & 0x80) != 0 for _, data in packets].count(True) >= 1
    print(f"\ntas call: {len(packets)} packets in {last_at - first_at:.3f} s = {rate:.2f}/s")
