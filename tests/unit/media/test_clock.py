"""The RTP clocks on a virtual clock: exact ticks, timestamps and sequence numbers."""

import random

from media.clock import StreamClock, TickClock
from media.codecs import PCMU
from media.player import Player
from media.rtp import RtpPacket
from media.stream import RtpSender
from media.tones import tone


def test_uneven_wakeups_hand_out_every_tick_once_in_order() -> None:
    clock = TickClock(epoch=100.0)
    rng = random.Random(7)
    now, seen = 100.0, []
    while now < 110.0:  # 10 s of wake-ups 1-30 ms apart, some early, some late
        seen += list(clock.due(now))
        now += rng.uniform(0.001, 0.03)
    assert seen == list(range(len(seen)))  # no tick twice, none skipped, none out of order
    assert 499 <= len(seen) <= 501  # 10 s of 20 ms ticks
    assert clock.skipped == 0


def test_the_same_instant_twice_gives_nothing_the_second_time() -> None:
    clock = TickClock(epoch=0.0)
    assert list(clock.due(0.041)) == [0, 1, 2]
    assert list(clock.due(0.041)) == [] and list(clock.due(0.0599)) == []
    assert clock.resume(0.0599) == 3  # re-activated within tick 2: starts at tick 3
    assert clock.deadline() == 0.06


def test_a_timer_firing_exactly_on_the_grid_is_that_tick() -> None:
    clock = TickClock(epoch=1000.0)
    clock.next_tick = 3
    assert list(clock.due(1000.0 + 3 * 0.02)) == [3]


def test_a_long_stall_is_a_short_burst_and_the_rest_skipped() -> None:
    clock = TickClock(epoch=0.0, max_burst=5)
    assert list(clock.due(0.0)) == [0]
    assert list(clock.due(1.0)) == [46, 47, 48, 49, 50]
    assert clock.skipped == 45 and clock.late == 1


def test_stream_clock_exact_timestamps_whatever_the_wakeups() -> None:
    ticks = TickClock(epoch=0.0)
    sender = RtpSender(ssrc=0x1234, payload_type=0, dtmf_pt=None, seq=65530, ts_base=2**32 - 320)
    player = Player(sender, PCMU, clock=StreamClock(start_tick=ticks.resume(0.013)))
    rng = random.Random(3)
    now, packets = 0.013, []
    while now < 5.0:
        for tick in ticks.due(now):
            data = player.frame(tick)
            assert data is not None
            packets.append(RtpPacket.parse(data))
            if tick % 10 == 0:  # the harness queues a 0.2 s chunk within the tick it ended
                player.play(tone([440.0], 0.2))
                assert player.frame(tick) is None  # ...and that tick is not sent again
        now += rng.uniform(0.0, 0.035)
    assert 249 <= len(packets) <= 250
    for a, b in zip(packets, packets[1:], strict=False):
        assert (b.timestamp - a.timestamp) & 0xFFFFFFFF == 160  # wraps cleanly
        assert (b.sequence_number - a.sequence_number) & 0xFFFF == 1
    assert {p.ssrc for p in packets} == {0x1234}
    assert packets[0].timestamp == 2**32 - 320 and packets[0].marker
    assert sum(p.marker for p in packets) == 1  # silence and prompts are one talkspurt


def test_silence_when_idle_every_ptime() -> None:
    player = Player(RtpSender(1, 0, None), PCMU)
    packets = [player.frame(t) for t in range(50)]
    assert all(p is not None for p in packets)
    payloads = {RtpPacket.parse(p).payload for p in packets if p is not None}
    assert payloads == {bytes([PCMU.silence_octet]) * 160}


def test_ptime_change_keeps_timestamps_on_the_start_grid() -> None:
    clock = StreamClock(start_tick=10)
    assert [clock.frame(t) for t in (10, 11)] == [0, 160]
    clock.frame_ticks = 2  # re-INVITE with a=ptime:40
    assert [clock.frame(t) for t in (12, 13, 14)] == [320, None, 640]
