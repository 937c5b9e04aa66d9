from media.codecs import PCMA, PCMU
from media.dtmf import TelephoneEvent
from media.player import Player
from media.rtp import RtpPacket
from media.stream import RtpSender
from media.tones import tone


def make(ptime: float = 0.02) -> Player:
    return Player(RtpSender(ssrc=1, payload_type=8, dtmf_pt=101, seq=100, ts_base=0), PCMA, ptime)


def run(player: Player, ticks: range) -> list[RtpPacket | None]:
    out = []
    for t in ticks:
        data = player.frame(t)
        out.append(None if data is None else RtpPacket.parse(data))
    return out


def test_prompts_are_continuous_with_a_marker_per_talkspurt() -> None:
    player = make()
    done: list[bool] = []
    player.play(tone([440.0], 0.05), done.append)  # 400 samples: 2.5 frames
    player.play(tone([440.0], 0.02), done.append)
    packets = run(player, range(10, 18))
    sent = [p for p in packets if p is not None]
    assert [p.timestamp for p in sent] == [1600, 1760, 1920, 2080]
    assert [p.sequence_number for p in sent] == [100, 101, 102, 103]
    assert [p.marker for p in sent] == [True, False, False, False]
    assert sent[2].payload.endswith(bytes([PCMA.silence_octet]) * 80)  # padded last frame
    assert done == [True, True] and not player.busy
    player.play(tone([440.0], 0.02))
    (resumed,) = run(player, range(30, 31))
    assert resumed is not None and resumed.marker and resumed.sequence_number == 104
    assert resumed.timestamp == 30 * 160  # time moved on while idle


def test_stop_interrupts_everything() -> None:
    player = make()
    done: list[bool] = []
    player.play(tone([440.0], 1.0), done.append)
    player.send_digits("1", on_done=done.append)
    run(player, range(3))
    player.stop()
    assert done == [False, False] and player.frame(4) is None


def test_digits_share_a_timestamp_and_end_three_times() -> None:
    player = make()
    done: list[bool] = []
    player.send_digits("12", duration=0.06, gap=0.04, on_done=done.append)
    packets = run(player, range(0, 20))
    events = [p for p in packets if p is not None]
    first = [p for p in events if TelephoneEvent.parse(p.payload).event == 1]
    second = [p for p in events if TelephoneEvent.parse(p.payload).event == 2]
    assert len(first) == len(second) == 5  # 2 updates + 3 end packets
    assert {p.timestamp for p in first} == {0}
    assert [p.marker for p in first] == [True, False, False, False, False]
    assert [TelephoneEvent.parse(p.payload).end for p in first] == [False, False, True, True, True]
    assert second[0].timestamp == 7 * 160  # 5 frames of digit, 2 frames of gap
    assert done == [True]


def test_longer_ptime_sends_every_other_tick() -> None:
    player = Player(RtpSender(1, 0, None), PCMU, 0.04)
    player.play(tone([440.0], 0.08))
    packets = run(player, range(0, 4))
    assert [p is None for p in packets] == [False, True, False, True]
    assert [len(p.payload) for p in packets if p] == [320, 320]
