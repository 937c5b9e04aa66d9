"""Our RTP stream as a peer's socket sees it (issue 11): one packet per 20 ms, exact clock.

The far end is a plain UDP socket; our session answers its offer and plays prompts the way
the harness does (0.2 s chunks back to back, then nothing: silence must go on). Counts,
timestamps and sequence numbers are exact; the arrival jitter is only reported (the machine
is shared, so wall-clock figures are noisy).
"""

import asyncio
import statistics

from media.rtp import RtpPacket
from media.session import MediaEngine, MediaSession
from media.tones import tone

SECONDS = 5.0


class Capture(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.packets: list[tuple[float, RtpPacket]] = []
        self.loop = asyncio.get_running_loop()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.packets.append((self.loop.time(), RtpPacket.parse(data)))


def offer(port: int) -> str:
    return (
        "v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def test_five_seconds_of_our_rtp_are_250_packets_on_an_exact_clock() -> None:
    loop = asyncio.get_running_loop()
    transport, capture = await loop.create_datagram_endpoint(Capture, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    engine = MediaEngine("127.0.0.1", 31400, 31499)
    engine.pacer.clock.max_burst = 100  # a stalled test machine bursts instead of skipping
    session, _ = await MediaSession.create(engine, offer(port))
    started = loop.time()
    chunk = tone([440.0], 0.2)

    async def harness_like_play() -> None:
        while loop.time() - started < SECONDS / 2:  # prompts back to back, then silence
            assert await session.play(chunk)

    await harness_like_play()
    await asyncio.sleep(started + SECONDS - 0.01 - loop.time())  # ticks 0..249 are due
    elapsed = loop.time() - started
    await session.close()
    await asyncio.sleep(0.05)
    transport.close()

    packets = [p for _, p in capture.packets]
    expected = elapsed / 0.02
    assert abs(len(packets) - expected) <= 1.5, (len(packets), expected)
    assert abs(len(packets) - 250) <= 1
    pairs = list(zip(packets, packets[1:], strict=False))
    ts = [(b.timestamp - a.timestamp) & 0xFFFFFFFF for a, b in pairs]
    seq = [(b.sequence_number - a.sequence_number) & 0xFFFF for a, b in pairs]
    assert set(ts) == {160} and set(seq) == {1}
    assert len({p.ssrc for p in packets}) == 1
    assert [p.marker for p in packets].count(True) == 1 and packets[0].marker
    assert {p.payload_type for p in packets} == {0}
    assert session.stats.packets_sent == len(packets)
    assert engine.pool.in_use == 0

    arrivals = [t for t, _ in capture.packets]
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    deviation = [abs(g - 0.02) * 1e6 for g in gaps]
    print(
        f"\nour RTP over {elapsed:.3f} s: {len(packets)} packets "
        f"({len(packets) / elapsed:.2f}/s), timestamp deltas {sorted(set(ts))}, "
        f"inter-arrival |dt-20ms| p50 {statistics.median(deviation):.0f} us "
        f"p99 {percentile(deviation, 0.99):.0f} us max {max(deviation):.0f} us, "
        f"late ticks {engine.pacer.late_ticks}, skipped {engine.pacer.skipped}"
    )
