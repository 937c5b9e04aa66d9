from media.clock import StreamClock
from media.codecs import PCMA, PCMU
from media.dtmf import TelephoneEvent
from media.player import CN_LEVEL, Player
from media.rtp import RtpPacket
from media.stream import RtpSender
from media.tones import tone

SILENCE = bytes([PCMA.silence_octet]) * 160


def make(ptime: float = 0.02, cn_pt: int | None = None) -> Player:
    sender = RtpSender(ssrc=1, payload_type=8, dtmf_pt=101, seq=100, ts_base=0)
    return Player(sender, PCMA, ptime, cn_pt=cn_pt)


def run(player: Player, ticks: range) -> list[RtpPacket | None]:
    out = []
    for t in ticks:
        data = player.frame(t)
        out.append(None if data is None else RtpPacket.parse(data))
    return out


def sent(packets: list[RtpPacket | None]) -> list[RtpPacket]:
    return [p for p in packets if p is not None]


def test_prompts_are_continuous_and_silence_fills_the_rest() -> None:
    player = make()
    done: list[bool] = []
    player.play(tone([440.0], 0.05), done.append)  # 400 samples: 2.5 frames
    player.play(tone([440.0], 0.02), done.append)
    packets = sent(run(player, range(10, 18)))
    assert len(packets) == 8  # one packet per tick, idle or not
    assert [p.timestamp for p in packets] == [1600 + 160 * i for i in range(8)]
    assert [p.sequence_number for p in packets] == list(range(100, 108))
    assert [p.marker for p in packets] == [True] + [False] * 7  # one talkspurt: never paused
    assert packets[2].payload.endswith(bytes([PCMA.silence_octet]) * 80)  # padded last frame
    assert [p.payload for p in packets[4:]] == [SILENCE] * 4
    assert {p.payload_type for p in packets} == {8} and {p.ssrc for p in packets} == {1}
    assert done == [True, True] and not player.busy


def test_a_tick_is_sent_once_even_if_asked_twice() -> None:
    player = make()
    first = player.frame(5)
    player.play(tone([440.0], 0.02))  # the next prompt starts within the same tick
    assert first is not None and player.frame(5) is None and player.frame(4) is None
    nxt = player.frame(6)
    assert nxt is not None and RtpPacket.parse(nxt).timestamp == 6 * 160


def test_stream_clock_starts_on_its_own_tick() -> None:
    sender = RtpSender(1, 0, None, seq=7, ts_base=1000)
    player = Player(sender, PCMU, clock=StreamClock(start_tick=42))
    assert player.frame(41) is None
    packets = sent(run(player, range(42, 45)))
    assert [p.timestamp for p in packets] == [1000, 1160, 1320]
    assert [p.sequence_number for p in packets] == [7, 8, 9]


def test_stop_interrupts_everything_and_silence_goes_on() -> None:
    player = make()
    done: list[bool] = []
    player.play(tone([440.0], 1.0), done.append)
    player.send_digits("1", on_done=done.append)
    run(player, range(3))
    player.stop()
    after = player.frame(4)
    assert done == [False, False]
    assert after is not None and RtpPacket.parse(after).payload == SILENCE


def test_digits_share_a_timestamp_and_end_three_times() -> None:
    player = make()
    done: list[bool] = []
    player.send_digits("12", duration=0.06, gap=0.04, on_done=done.append)
    packets = sent(run(player, range(0, 20)))
    assert len(packets) == 20
    events = [p for p in packets if p.payload_type == 101]
    first = [p for p in events if TelephoneEvent.parse(p.payload).event == 1]
    second = [p for p in events if TelephoneEvent.parse(p.payload).event == 2]
    assert len(first) == len(second) == 5  # 2 updates + 3 end packets
    assert {p.timestamp for p in first} == {0}
    assert [p.marker for p in first] == [True, False, False, False, False]
    assert [TelephoneEvent.parse(p.payload).end for p in first] == [False, False, True, True, True]
    assert second[0].timestamp == 7 * 160  # 5 frames of digit, 2 frames of gap
    gap = packets[5:7]
    assert [p.payload for p in gap] == [SILENCE] * 2 and gap[0].marker  # audio after an event
    assert done == [True]


def test_longer_ptime_sends_every_other_tick() -> None:
    player = Player(RtpSender(1, 0, None), PCMU, 0.04)
    player.play(tone([440.0], 0.08))
    packets = run(player, range(0, 6))
    assert [p is None for p in packets] == [False, True, False, True, False, True]
    assert [len(p.payload) for p in sent(packets)] == [320, 320, 320]
    assert [p.timestamp for p in sent(packets)] == [0, 320, 640]


def test_comfort_noise_when_negotiated_and_marker_after_it() -> None:
    player = make(cn_pt=13)
    cn = sent(run(player, range(0, 3)))
    assert [(p.payload_type, p.payload) for p in cn] == [(13, bytes([CN_LEVEL]))] * 3
    player.play(tone([440.0], 0.04))
    talk = sent(run(player, range(3, 5)))
    assert [p.payload_type for p in talk] == [8, 8] and [p.marker for p in talk] == [True, False]
    assert [p.timestamp for p in cn + talk] == [160 * i for i in range(5)]
