"""RTCP reporting (RFC 3550 §6.4) on a virtual clock: times are plain numbers passed in."""

import pytest

from media.errors import PacketError
from media.rtcp import (
    NTP_EPOCH,
    ReceptionStats,
    ReportBlock,
    RtcpBye,
    RtcpReceiverReport,
    RtcpReporter,
    RtcpSdes,
    RtcpSenderReport,
    RtcpUnknown,
    SdesChunk,
    SendingStats,
    ntp_timestamp,
    parse_compound,
    serialize_compound,
)
from media.rtp import RtpPacket
from media.stream import RtpReceiver, RtpSender

PEER = 0xABC


def feed(
    rx: RtpReceiver,
    seqs: range,
    *,
    rate: int = 8000,
    skip: int | None = None,
    offset: float = 0.0,
    ssrc: int = PEER,
) -> None:
    """20 ms packets on the virtual clock; every ``skip``-th sequence number never arrives;
    odd packets arrive ``offset`` seconds late."""
    step = rate // 50
    for seq in seqs:
        if skip is not None and seq % skip == skip // 2:
            continue
        arrival = seq * 0.02 + (offset if seq % 2 else 0.0)
        rx.receive(bytes(RtpPacket(0, seq & 0xFFFF, seq * step, ssrc, b"\xff" * step)), arrival)


def block(reporter: RtcpReporter, rx: RtpReceiver, now: float = 0.0):  # type: ignore[no-untyped-def]
    report, _ = reporter.report(rx.reception(), None, 0.0, now)
    assert isinstance(report, RtcpReceiverReport)
    (only,) = report.reports
    return only


def test_ntp_timestamp_is_seconds_since_1900_with_a_binary_fraction() -> None:
    stamp = ntp_timestamp(1.5)
    assert stamp >> 32 == NTP_EPOCH + 1 and stamp & 0xFFFFFFFF == 1 << 31


def test_receiver_report_before_we_send_then_sender_report_on_our_clock() -> None:
    receiver = RtpReceiver(0, None)
    receiver.receive(bytes(RtpPacket(0, 7, 1000, PEER, b"\xff" * 160)), 0.0)
    sender = RtpSender(0x42, 0, None, ts_base=5000)
    reporter = RtcpReporter(0x42, b"tas@h")
    rr, sdes = reporter.report(receiver.reception(), SendingStats(0, 0, 5000), 0.0, 0.0)
    assert isinstance(rr, RtcpReceiverReport) and rr.reports[0].ssrc == PEER
    assert isinstance(sdes, RtcpSdes) and sdes.chunks[0].items == ((1, b"tas@h"),)
    sender.audio(0, b"\xff" * 160)
    sending = SendingStats(sender.packets, sender.octets, 5000 + 8000)
    sr, _ = reporter.report(receiver.reception(), sending, 0.0, 1.0)
    assert isinstance(sr, RtcpSenderReport) and sr.ssrc == 0x42
    assert (sr.rtp_timestamp, sr.packet_count, sr.octet_count) == (13000, 1, 160)


def test_no_report_block_before_any_packet_arrives() -> None:
    (rr, _) = RtcpReporter(1, b"x").report(RtpReceiver(0, None).reception(), None, 0.0, 0.0)
    assert isinstance(rr, RtcpReceiverReport) and rr.reports == ()


def reference_jitter(transits: list[float]) -> float:
    """RFC 3550 §A.8 written out: J += (|D| - J) / 16 over successive transit differences."""
    jitter = 0.0
    for before, after in zip(transits, transits[1:], strict=False):
        jitter += (abs(after - before) - jitter) / 16
    return jitter


@pytest.mark.parametrize("rate", [8000, 16000, 48000])
def test_jitter_is_reported_in_units_of_the_codec_clock(rate: int) -> None:
    rx = RtpReceiver(0, None, clock_rate=rate)
    feed(rx, range(300), rate=rate, offset=0.004)  # every other packet 4 ms late
    step = rate // 50
    transits = [
        (seq * 0.02 + (0.004 if seq % 2 else 0.0)) * rate - seq * step for seq in range(300)
    ]
    reported = block(RtcpReporter(1, b"x"), rx).jitter
    assert reported == round(reference_jitter(transits))
    assert reported == pytest.approx(0.004 * rate, rel=0.02)  # |D| is 4 ms on every packet


def test_fraction_lost_covers_the_interval_cumulative_lost_the_call() -> None:
    rx, reporter = RtpReceiver(0, None), RtcpReporter(1, b"x")
    feed(rx, range(100), skip=10)  # 10 of the first 100 never arrive
    first = block(reporter, rx)
    assert (first.fraction_lost, first.lost, first.highest_sequence) == (10 * 256 // 100, 10, 99)
    feed(rx, range(100, 200))  # a clean interval
    second = block(reporter, rx)
    assert (second.fraction_lost, second.lost, second.highest_sequence) == (0, 10, 199)
    feed(rx, range(200, 250), skip=5)  # 10 of 50 lost ...
    feed(rx, range(250, 260))  # ... and the jitter buffer has given up on the last one
    third = block(reporter, rx)
    assert (third.fraction_lost, third.lost) == (10 * 256 // 60, 20)
    assert block(reporter, rx).fraction_lost == 0  # nothing expected since: no new loss


def test_sequence_wrap_extends_the_highest_sequence_number() -> None:
    rx, reporter = RtpReceiver(0, None), RtcpReporter(1, b"x")
    feed(rx, range(65530, 65546))
    report = block(reporter, rx)
    assert report.highest_sequence == 65545 and report.fraction_lost == 0 and report.lost == 0


def test_a_new_source_starts_a_new_interval() -> None:
    rx, reporter = RtpReceiver(0, None), RtcpReporter(1, b"x")
    feed(rx, range(100), skip=10)
    block(reporter, rx)
    feed(rx, range(1000, 1020), ssrc=0xDEF)  # re-INVITE: the peer's new SSRC, no loss
    report = block(reporter, rx)
    assert report.ssrc == 0xDEF and report.fraction_lost == 0
    assert report.lost == 10  # the call's cumulative count, as before the source changed


def peer_sr(ssrc: int, wallclock: float) -> bytes:
    return serialize_compound([RtcpSenderReport(ssrc, ntp_timestamp(wallclock), 0, 10, 1600)])


def test_lsr_and_dlsr_echo_the_peers_last_sender_report() -> None:
    rx, reporter = RtpReceiver(0, None), RtcpReporter(1, b"x")
    feed(rx, range(10))
    assert (block(reporter, rx).lsr, block(reporter, rx).dlsr) == (0, 0)  # no SR yet
    assert reporter.receive(peer_sr(PEER, 1_700_000_000.25), now=10.0)
    report = block(reporter, rx, now=12.5)
    assert report.lsr == (ntp_timestamp(1_700_000_000.25) >> 16) & 0xFFFFFFFF
    assert report.dlsr == int(2.5 * 65536)  # §6.4.1: units of 1/65536 s
    assert reporter.received == 1 and isinstance(reporter.last_remote_report, RtcpSenderReport)


def test_an_sr_from_another_source_is_not_echoed() -> None:
    rx, reporter = RtpReceiver(0, None), RtcpReporter(1, b"x")
    feed(rx, range(10))
    reporter.receive(peer_sr(0x999, 5.0), now=1.0)
    report = block(reporter, rx, now=2.0)
    assert (report.lsr, report.dlsr) == (0, 0)


def test_a_bad_datagram_is_refused_and_changes_nothing() -> None:
    reporter = RtcpReporter(1, b"x")
    assert not reporter.receive(b"\x00\x01", now=0.0)
    assert reporter.received == 0 and reporter.last_remote_report is None


def test_receiver_report_from_the_peer_is_kept_without_an_lsr() -> None:
    rx, reporter = RtpReceiver(0, None), RtcpReporter(1, b"x")
    feed(rx, range(10))
    reporter.receive(serialize_compound([RtcpReceiverReport(PEER)]), now=1.0)
    assert isinstance(reporter.last_remote_report, RtcpReceiverReport)
    assert block(reporter, rx, now=2.0).lsr == 0


def test_reception_stats_come_from_the_receiver() -> None:
    rx = RtpReceiver(0, None)
    feed(rx, range(40, 60), skip=10)
    stats = rx.reception()
    assert stats == ReceptionStats(PEER, 59, 20, 2, stats.jitter if stats else 0.0)


BLOCK = ReportBlock(0x1234, 25, -3, 70000, 42, 0xAABBCCDD, 65536)
SR = RtcpSenderReport(0xCAFE, (3_900_000_000 << 32) | 0x80000000, 160, 50, 8000, (BLOCK,))
RR = RtcpReceiverReport(0xBEEF, (BLOCK, ReportBlock(1, 0, 5, 2, 3)))
SDES = RtcpSdes(
    (SdesChunk(0xCAFE, ((1, b"tas@example"),)), SdesChunk(2, ((1, b"abcd"), (6, b"x"))))
)
BYE = RtcpBye((0xCAFE, 0xBEEF), b"hangup")


def test_compound_round_trip() -> None:
    packets = [SR, SDES, BYE]
    data = serialize_compound(packets)
    assert len(data) % 4 == 0
    assert parse_compound(data) == packets


@pytest.mark.parametrize("packet", [SR, RR, SDES, BYE, RtcpBye(()), RtcpUnknown(204, 1, b"abcd")])
def test_each_packet_round_trips(packet: object) -> None:
    data = serialize_compound([packet])  # type: ignore[list-item]
    assert parse_compound(data) == [packet]


def test_known_receiver_report_bytes() -> None:
    # RR with one block, from RFC 3550 §6.4.2 layout: V=2 RC=1 PT=201 length=7
    data = bytes.fromhex("81c900070000beef0000123419fffffd000111700000002aaabbccdd00010000")
    assert parse_compound(data) == [RtcpReceiverReport(0xBEEF, (BLOCK,))]
    assert serialize_compound([RtcpReceiverReport(0xBEEF, (BLOCK,))]) == data


def test_padding_is_removed() -> None:
    body = bytes.fromhex("0000beef") + b"\0\0\0\4"
    data = bytes.fromhex("a0c90002") + body
    assert parse_compound(data) == [RtcpReceiverReport(0xBEEF)]


def test_unaligned_unknown_body_is_padded_with_the_p_bit() -> None:
    # A padded packet of another type leaves a body of any length; serialising it again must
    # pad with the P bit (RFC 3550 §6.4.1), not null octets that would join the body (fuzz).
    packet = RtcpUnknown(204, 1, b"abcde")
    data = serialize_compound([packet])
    assert data == bytes.fromhex("a1cc0002") + b"abcde\0\0\3"
    assert parse_compound(data) == [packet]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\x80\xc9\x00", "truncated RTCP header"),
        (bytes.fromhex("40c90001") + b"\0" * 4, "RTCP version 1"),
        (bytes.fromhex("80c90002") + b"\0" * 4, "claims 12 octets, 8 present"),
        (bytes.fromhex("81c90001") + b"\0" * 4, "truncated RR: 1 report blocks"),
        (bytes.fromhex("80c80001") + b"\0" * 4, "truncated SR sender info"),
        (bytes.fromhex("80c90000"), "truncated RR"),
        (bytes.fromhex("81ca0001") + b"\0\0\0\1", "without terminating null"),
        (bytes.fromhex("81ca0002") + b"\0\0\0\1" + b"\x01\x09ab", "truncated SDES item"),
        (bytes.fromhex("82cb0001") + b"\0\0\0\1", "truncated BYE: 2 SSRCs"),
        (bytes.fromhex("81cb0002") + b"\0\0\0\1" + b"\x09abc", "truncated BYE reason"),
        (bytes.fromhex("a0c90001") + b"\0\0\0\0", "bad RTCP padding"),
        (bytes.fromhex("82ca0002") + b"\0\0\0\1" + b"\0" * 4, "truncated SDES chunk"),
    ],
)
def test_invalid_compound_says_why(data: bytes, reason: str) -> None:
    with pytest.raises(PacketError, match=reason):
        parse_compound(data)


def test_every_truncation_of_a_compound_fails_cleanly() -> None:
    data = serialize_compound([SR, SDES, BYE])
    for n in range(len(data)):
        try:
            parse_compound(data[:n])
        except PacketError:
            continue
        # a prefix that ends exactly at a packet boundary is a valid shorter compound
        assert n in (len(serialize_compound([SR])), len(serialize_compound([SR, SDES])))
