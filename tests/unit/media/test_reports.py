from media.reports import NTP_EPOCH, ntp_timestamp, report_packets
from media.rtcp import RtcpReceiverReport, RtcpSdes, RtcpSenderReport
from media.rtp import RtpPacket
from media.stream import RtpReceiver, RtpSender


def test_ntp_timestamp_is_seconds_since_1900_with_a_binary_fraction() -> None:
    stamp = ntp_timestamp(1.5)
    assert stamp >> 32 == NTP_EPOCH + 1 and stamp & 0xFFFFFFFF == 1 << 31


def test_receiver_report_before_we_send_then_sender_report_on_our_clock() -> None:
    receiver = RtpReceiver(0, None)
    receiver.receive(bytes(RtpPacket(0, 7, 1000, 0xABC, b"\xff" * 160)), 0.0)
    sender = RtpSender(0x42, 0, None, ts_base=5000)
    rr, sdes = report_packets(0x42, receiver, sender, b"tas@h", 0.0)
    assert isinstance(rr, RtcpReceiverReport) and rr.reports[0].ssrc == 0xABC
    assert isinstance(sdes, RtcpSdes)
    sender.audio(0, b"\xff" * 160)
    sr, _ = report_packets(0x42, receiver, sender, b"tas@h", 0.0, rtp_timestamp=5000 + 8000)
    assert isinstance(sr, RtcpSenderReport)
    assert (sr.rtp_timestamp, sr.packet_count, sr.octet_count) == (13000, 1, 160)
