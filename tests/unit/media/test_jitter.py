import pytest

from media.jitter import InterarrivalJitter, JitterBuffer
from media.rtp import RtpPacket


def pkt(seq: int) -> RtpPacket:
    return RtpPacket(0, seq & 0xFFFF, seq * 160, 1, b"x")


def seqs(packets: list[RtpPacket]) -> list[int]:
    return [p.sequence_number for p in packets]


def test_in_order_packets_pass_straight_through() -> None:
    jb = JitterBuffer(depth=3)
    for s in range(65530, 65545):  # across the 16-bit wrap
        assert seqs(jb.push(pkt(s))) == [s & 0xFFFF]
    assert (jb.lost, jb.duplicates, jb.late, jb.released) == (0, 0, 0, 15)


def test_reordered_packets_come_out_in_order() -> None:
    jb = JitterBuffer(depth=3)
    out = []
    for s in [1, 3, 2, 5, 4, 6]:
        out += seqs(jb.push(pkt(s)))
    assert out == [1, 2, 3, 4, 5, 6]
    assert jb.lost == 0


def test_a_hole_is_skipped_when_the_buffer_is_full() -> None:
    jb = JitterBuffer(depth=3)
    jb.push(pkt(10))
    assert jb.push(pkt(12)) == [] and jb.push(pkt(13)) == []
    assert seqs(jb.push(pkt(14))) == [12, 13, 14]
    assert jb.lost == 1
    assert jb.push(pkt(11)) == [] and jb.late == 1 and jb.lost == 0  # arrived too late


def test_duplicates_are_counted_not_released() -> None:
    jb = JitterBuffer(depth=3)
    jb.push(pkt(1))
    jb.push(pkt(2))
    assert jb.push(pkt(2)) == [] and jb.push(pkt(1)) == []
    jb.push(pkt(4))
    assert jb.push(pkt(4)) == []  # duplicate of a held packet
    assert jb.duplicates == 3 and jb.late == 0


def test_flush_releases_held_packets_and_counts_holes() -> None:
    jb = JitterBuffer(depth=10)
    jb.push(pkt(1))
    jb.push(pkt(3))
    jb.push(pkt(6))
    assert seqs(jb.flush()) == [3, 6]
    assert jb.lost == 3


def test_big_jump_resynchronises() -> None:
    jb = JitterBuffer(depth=3)
    jb.push(pkt(1))
    assert seqs(jb.push(pkt(20000))) == [20000]
    assert seqs(jb.push(pkt(20001))) == [20001]


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError):
        JitterBuffer(0)


def test_interarrival_jitter_rfc3550() -> None:
    j = InterarrivalJitter()
    for i in range(100):
        j.update(i * 160, i * 0.02)
    assert j.jitter == pytest.approx(0.0, abs=1e-6)
    for i in range(100, 400):
        j.update(i * 160, i * 0.02 + (0.004 if i % 2 else 0.0))
    # alternating 4 ms offsets: D = 32 units every packet, J converges to 32
    assert j.jitter == pytest.approx(32, rel=0.01)
    assert j.seconds == pytest.approx(0.004, rel=0.01)


def test_a_far_jump_back_is_a_restart_once_confirmed() -> None:
    jb = JitterBuffer(depth=3)
    for s in range(8436, 8444):
        jb.push(pkt(s))
    assert jb.push(pkt(7984)) == []  # 452 behind: held aside, not yet believed
    assert seqs(jb.push(pkt(7985))) == [7984, 7985]
    assert seqs(jb.push(pkt(7986))) == [7986]
    assert jb.push(pkt(100)) == []  # a lone stray far behind is not a restart
    assert seqs(jb.push(pkt(7987))) == [7987]
    assert jb.lost == 0
