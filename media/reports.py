"""RTCP reports of one RTP session (pure): SR or RR plus SDES CNAME (RFC 3550 §6.4, §6.5).

:func:`report_packets` builds the compound packet a session sends every ~5 s (§6.2) and
before its BYE (§6.6); the session's timer only schedules it. Time comes in as ``wallclock``
(Unix seconds) for the SR's NTP timestamp (§4).
"""

from __future__ import annotations

from media.rtcp import (
    ReportBlock,
    RtcpPacket,
    RtcpReceiverReport,
    RtcpSdes,
    RtcpSenderReport,
    SdesChunk,
)
from media.stream import RtpReceiver, RtpSender

__all__ = ["NTP_EPOCH", "ntp_timestamp", "report_packets"]

NTP_EPOCH = 2208988800  # seconds from 1900-01-01 (NTP) to 1970-01-01 (Unix)


def ntp_timestamp(wallclock: float) -> int:
    """64-bit NTP timestamp (RFC 3550 §4) of a Unix time."""
    now = wallclock + NTP_EPOCH
    return ((int(now) << 32) | int((now % 1) * (1 << 32))) & 0xFFFFFFFFFFFFFFFF


def report_packets(
    ssrc: int,
    receiver: RtpReceiver | None,
    sender: RtpSender | None,
    cname: bytes,
    wallclock: float,
    rtp_timestamp: int | None = None,
) -> list[RtcpPacket]:
    """SR when we have sent RTP (else RR), with one report block for the peer's source, and
    SDES CNAME (§6.5.1). ``rtp_timestamp`` is the RTP time matching ``wallclock`` (§6.4.1)."""
    blocks: tuple[ReportBlock, ...] = ()
    if receiver is not None and receiver.ssrc is not None:
        blocks = (
            ReportBlock(
                receiver.ssrc,
                0,
                max(min(receiver.lost, 0x7FFFFF), -0x800000),
                receiver.highest_sequence,
                round(receiver.jitter * 8000),
            ),
        )
    report: RtcpPacket
    if sender is not None and sender.packets:
        stamp = sender.ts_base if rtp_timestamp is None else rtp_timestamp & 0xFFFFFFFF
        report = RtcpSenderReport(
            ssrc, ntp_timestamp(wallclock), stamp, sender.packets, sender.octets, blocks
        )
    else:
        report = RtcpReceiverReport(ssrc, blocks)
    return [report, RtcpSdes((SdesChunk(ssrc, ((1, cname),)),))]
