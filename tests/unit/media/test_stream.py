from media.dtmf import TelephoneEvent, dtmf_payloads
from media.rtp import RtpPacket
from media.stream import RtpReceiver, RtpSender, RtpStats


def audio(seq: int, ssrc: int = 1, ts: int | None = None) -> bytes:
    return bytes(RtpPacket(0, seq & 0xFFFF, seq * 160 if ts is None else ts, ssrc, b"\xff" * 160))


def test_receiver_splits_audio_and_digits_in_sequence_order() -> None:
    rx = RtpReceiver(0, 101)
    out_audio = []
    out_digits = []
    seq = 10
    for n in range(3):
        a, d = rx.receive(audio(seq), n * 0.02)
        out_audio += a
        out_digits += d
        seq += 1
    for payload in dtmf_payloads("4"):
        a, d = rx.receive(bytes(RtpPacket(101, seq, 5000, 1, payload)), 0.1)
        out_audio += a
        out_digits += d
        seq += 1
    assert [p.sequence_number for p in out_audio] == [10, 11, 12]
    assert [d.digit for d in out_digits] == ["4"]
    assert rx.packets == 3 + 7 and rx.lost == 0 and rx.highest_sequence == seq - 1


def test_receiver_counts_bad_and_unknown_packets() -> None:
    rx = RtpReceiver(8, None)
    for data in (b"\x00" * 5, bytes(RtpPacket(96, 1, 0, 1, b"x"))):
        audio, digits = rx.receive(data, 0.0)
        assert audio == [] and list(digits) == []
    assert (rx.invalid, rx.unknown_payload) == (1, 1)


def test_receiver_resets_on_new_ssrc_and_wraps_sequence() -> None:
    rx = RtpReceiver(0, None)
    for s in range(65534, 65538):
        rx.receive(audio(s), 0.0)
    assert rx.highest_sequence == 65537
    a, _ = rx.receive(audio(5, ssrc=2), 0.0)
    assert [p.sequence_number for p in a] == [5]
    assert rx.ssrc == 2 and rx.ssrc_changes == 1 and rx.highest_sequence == 5


def test_receiver_flush_reports_unfinished_digit() -> None:
    rx = RtpReceiver(0, 101)
    rx.receive(bytes(RtpPacket(101, 1, 0, 1, dtmf_payloads("9")[0])), 0.0)
    _, digits = rx.flush()
    assert [d.digit for d in digits] == ["9"]


def test_sender_continuity_and_marker() -> None:
    tx = RtpSender(ssrc=7, payload_type=8, dtmf_pt=101, seq=65535, ts_base=0xFFFFFF00)
    first = RtpPacket.parse(tx.audio(0, b"a" * 160))
    second = RtpPacket.parse(tx.audio(160, b"a" * 160))
    tx.silence()
    third = RtpPacket.parse(tx.audio(800, b"a" * 160))
    assert (first.marker, second.marker, third.marker) == (True, False, True)
    assert [p.sequence_number for p in (first, second, third)] == [65535, 0, 1]
    assert [p.timestamp for p in (first, second, third)] == [0xFFFFFF00, 0xFFFFFFA0, 0x220]
    ev = RtpPacket.parse(tx.event(960, TelephoneEvent(1, False, 10, 160), first=True))
    assert ev.payload_type == 101 and ev.marker and ev.sequence_number == 2
    assert (tx.packets, tx.octets) == (4, 484)


def test_stats_loss_fraction() -> None:
    assert RtpStats().loss_fraction == 0.0
    assert RtpStats(packets_received=99, lost=1).loss_fraction == 0.01
