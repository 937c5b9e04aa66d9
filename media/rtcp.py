"""RTCP of one RTP session (RFC 3550 §6), sans-IO: the packets (§6.4 SR/RR, §6.5 SDES,
§6.6 BYE, compound §6.1) and :class:`RtcpReporter`, which builds the reports a session sends
every ~5 s (§6.2) and before its BYE (§6.6) from stream statistics, and reads the peer's
reports. Time comes in as arguments: ``now`` (any monotonic clock, seconds) and ``wallclock``
(Unix seconds, for the NTP timestamp of §4); the session's timer only schedules.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from media.errors import PacketError

__all__ = [
    "NTP_EPOCH",
    "RTCP_BYE",
    "RTCP_RR",
    "RTCP_SDES",
    "RTCP_SR",
    "ReceptionStats",
    "ReportBlock",
    "RtcpBye",
    "RtcpPacket",
    "RtcpReceiverReport",
    "RtcpReporter",
    "RtcpSdes",
    "RtcpSenderReport",
    "RtcpUnknown",
    "SdesChunk",
    "SendingStats",
    "ntp_timestamp",
    "parse_compound",
    "serialize_compound",
]

RTCP_SR = 200
RTCP_RR = 201
RTCP_SDES = 202
RTCP_BYE = 203
SDES_CNAME = 1

_COMMON = struct.Struct("!BBH")
_SENDER_INFO = struct.Struct("!IIIII")
_BLOCK = struct.Struct("!IIIIII")


@dataclass(frozen=True, slots=True)
class ReportBlock:
    """A reception report block (§6.4.1); ``lost`` is the signed 24-bit cumulative count."""

    ssrc: int
    fraction_lost: int
    lost: int
    highest_sequence: int
    jitter: int
    lsr: int = 0
    dlsr: int = 0

    @classmethod
    def parse(cls, data: bytes, pos: int) -> ReportBlock:
        ssrc, word, highest, jitter, lsr, dlsr = _BLOCK.unpack_from(data, pos)
        lost = word & 0xFFFFFF
        if lost & 0x800000:
            lost -= 0x1000000
        return cls(ssrc, word >> 24, lost, highest, jitter, lsr, dlsr)

    def __bytes__(self) -> bytes:
        word = ((self.fraction_lost & 0xFF) << 24) | (self.lost & 0xFFFFFF)
        return _BLOCK.pack(self.ssrc, word, self.highest_sequence, self.jitter, self.lsr, self.dlsr)


@dataclass(frozen=True, slots=True)
class RtcpSenderReport:
    """SR (§6.4.1): sender info plus reception report blocks."""

    ssrc: int
    ntp_timestamp: int
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    reports: tuple[ReportBlock, ...] = ()


@dataclass(frozen=True, slots=True)
class RtcpReceiverReport:
    """RR (§6.4.2)."""

    ssrc: int
    reports: tuple[ReportBlock, ...] = ()


@dataclass(frozen=True, slots=True)
class SdesChunk:
    """One SDES chunk: an SSRC and its (type, text) items; type 1 is CNAME."""

    ssrc: int
    items: tuple[tuple[int, bytes], ...]


@dataclass(frozen=True, slots=True)
class RtcpSdes:
    """SDES (§6.5)."""

    chunks: tuple[SdesChunk, ...]


@dataclass(frozen=True, slots=True)
class RtcpBye:
    """BYE (§6.6)."""

    sources: tuple[int, ...]
    reason: bytes = b""


@dataclass(frozen=True, slots=True)
class RtcpUnknown:
    """Any other packet type (APP, RTPFB, …), kept as raw body so nothing is lost."""

    packet_type: int
    count: int
    body: bytes


RtcpPacket = RtcpSenderReport | RtcpReceiverReport | RtcpSdes | RtcpBye | RtcpUnknown


def _parse_reports(body: bytes, pos: int, count: int, what: str) -> tuple[ReportBlock, ...]:
    if len(body) < pos + 24 * count:
        raise PacketError(f"truncated {what}: {count} report blocks do not fit")
    return tuple(ReportBlock.parse(body, pos + 24 * i) for i in range(count))


def _parse_sdes(body: bytes, count: int) -> RtcpSdes:
    chunks: list[SdesChunk] = []
    pos = 0
    for _ in range(count):
        if len(body) < pos + 4:
            raise PacketError("truncated SDES chunk")
        ssrc = struct.unpack_from("!I", body, pos)[0]
        pos += 4
        items: list[tuple[int, bytes]] = []
        while True:
            if pos >= len(body):
                raise PacketError("SDES chunk without terminating null item")
            kind = body[pos]
            if kind == 0:
                pos = (pos + 4) & ~3  # skip the null octet(s) up to the next 32-bit boundary
                break
            if pos + 2 > len(body) or pos + 2 + body[pos + 1] > len(body):
                raise PacketError(f"truncated SDES item type {kind}")
            length = body[pos + 1]
            items.append((kind, bytes(body[pos + 2 : pos + 2 + length])))
            pos += 2 + length
        chunks.append(SdesChunk(ssrc, tuple(items)))
    return RtcpSdes(tuple(chunks))


def _parse_bye(body: bytes, count: int) -> RtcpBye:
    if len(body) < 4 * count:
        raise PacketError(f"truncated BYE: {count} SSRCs do not fit")
    sources = struct.unpack_from(f"!{count}I", body)
    reason = b""
    pos = 4 * count
    if pos < len(body):
        length = body[pos]
        if pos + 1 + length > len(body):
            raise PacketError("truncated BYE reason")
        reason = bytes(body[pos + 1 : pos + 1 + length])
    return RtcpBye(tuple(sources), reason)


def _parse_one(packet_type: int, count: int, body: bytes) -> RtcpPacket:
    if packet_type == RTCP_SR:
        if len(body) < 24:
            raise PacketError("truncated SR sender info")
        ssrc, ntp_hi, ntp_lo, rtp_ts, packets, octets = struct.unpack_from("!IIIIII", body)
        reports = _parse_reports(body, 24, count, "SR")
        return RtcpSenderReport(ssrc, (ntp_hi << 32) | ntp_lo, rtp_ts, packets, octets, reports)
    if packet_type == RTCP_RR:
        if len(body) < 4:
            raise PacketError("truncated RR")
        ssrc = struct.unpack_from("!I", body)[0]
        return RtcpReceiverReport(ssrc, _parse_reports(body, 4, count, "RR"))
    if packet_type == RTCP_SDES:
        return _parse_sdes(body, count)
    if packet_type == RTCP_BYE:
        return _parse_bye(body, count)
    return RtcpUnknown(packet_type, count, bytes(body))


def parse_compound(data: bytes) -> list[RtcpPacket]:
    """Split and parse a compound RTCP datagram (§6.1); :class:`PacketError` names the fault."""
    if not data:
        raise PacketError("empty RTCP datagram")
    packets: list[RtcpPacket] = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < 4:
            raise PacketError(f"truncated RTCP header at offset {pos}")
        b0, packet_type, words = _COMMON.unpack_from(data, pos)
        if b0 >> 6 != 2:
            raise PacketError(f"RTCP version {b0 >> 6} at offset {pos}, expected 2")
        end = pos + 4 * (words + 1)
        if end > len(data):
            raise PacketError(
                f"RTCP packet type {packet_type} at offset {pos} claims {end - pos} octets, "
                f"{len(data) - pos} present"
            )
        body = data[pos + 4 : end]
        if b0 & 0x20:
            if not body or body[-1] == 0 or body[-1] > len(body):
                raise PacketError(f"bad RTCP padding at offset {pos}")
            body = body[: -body[-1]]
        packets.append(_parse_one(packet_type, b0 & 0x1F, body))
        pos = end
    return packets


def _frame(packet_type: int, count: int, body: bytes, *, pad_bit: bool = False) -> bytes:
    """Header + body, 32-bit aligned: with null octets, or with the P bit (§6.4.1) when the
    octets must not read as part of the body (a raw body of any length)."""
    if count > 31:
        raise PacketError(f"RTCP count {count} exceeds 31")
    b0 = 0x80 | count
    gap = -len(body) % 4
    if gap and pad_bit:
        body += bytes(gap - 1) + bytes((gap,))
        b0 |= 0x20
    else:
        body += bytes(gap)
    return _COMMON.pack(b0, packet_type, len(body) // 4) + body


def _serialize(packet: RtcpPacket) -> bytes:
    if isinstance(packet, RtcpSenderReport):
        body = struct.pack("!I", packet.ssrc) + _SENDER_INFO.pack(
            packet.ntp_timestamp >> 32,
            packet.ntp_timestamp & 0xFFFFFFFF,
            packet.rtp_timestamp,
            packet.packet_count,
            packet.octet_count,
        )
        body += b"".join(bytes(r) for r in packet.reports)
        return _frame(RTCP_SR, len(packet.reports), body)
    if isinstance(packet, RtcpReceiverReport):
        body = struct.pack("!I", packet.ssrc) + b"".join(bytes(r) for r in packet.reports)
        return _frame(RTCP_RR, len(packet.reports), body)
    if isinstance(packet, RtcpSdes):
        body = b""
        for chunk in packet.chunks:
            part = struct.pack("!I", chunk.ssrc)
            for kind, text in chunk.items:
                if len(text) > 255:
                    raise PacketError(f"SDES item longer than 255 octets: {len(text)}")
                part += bytes((kind, len(text))) + text
            part += bytes(4 - len(part) % 4)  # null item plus padding to 32 bits
            body += part
        return _frame(RTCP_SDES, len(packet.chunks), body)
    if isinstance(packet, RtcpBye):
        body = struct.pack(f"!{len(packet.sources)}I", *packet.sources)
        if packet.reason:
            body += bytes((len(packet.reason),)) + packet.reason
        return _frame(RTCP_BYE, len(packet.sources), body)
    return _frame(packet.packet_type, packet.count, packet.body, pad_bit=True)


def serialize_compound(packets: list[RtcpPacket]) -> bytes:
    """Concatenate packets into one compound datagram (§6.1)."""
    return b"".join(_serialize(p) for p in packets)


# --- reporting (§6.4) -------------------------------------------------------------------

NTP_EPOCH = 2208988800  # seconds from 1900-01-01 (NTP) to 1970-01-01 (Unix)


def ntp_timestamp(wallclock: float) -> int:
    """64-bit NTP timestamp (RFC 3550 §4) of a Unix time."""
    now = wallclock + NTP_EPOCH
    return ((int(now) << 32) | int((now % 1) * (1 << 32))) & 0xFFFFFFFFFFFFFFFF


@dataclass(frozen=True, slots=True)
class ReceptionStats:
    """What we know of the source we receive, for its report block (§6.4.1, §A.3).

    ``expected`` counts packets from this source's first sequence number to ``highest_sequence``
    (extended, §A.1); ``lost`` is the cumulative count reported; ``jitter`` is the §A.8
    estimate in timestamp units of the codec's clock."""

    ssrc: int
    highest_sequence: int
    expected: int
    lost: int
    jitter: float


@dataclass(frozen=True, slots=True)
class SendingStats:
    """Our sender info for an SR (§6.4.1): counts so far and the RTP time of ``wallclock``."""

    packets: int
    octets: int
    rtp_timestamp: int


class RtcpReporter:
    """RTCP state of one session: ``receive`` the peer's compound packets, ``report`` ours.

    The report block's fraction lost covers the interval since our previous report (§6.4.1,
    §A.3); LSR and DLSR echo the peer's last SR and how long ago it arrived, so the peer can
    compute the round-trip time (§6.4.1: DLSR in units of 1/65536 s).
    """

    __slots__ = (
        "ssrc",
        "cname",
        "received",
        "last_remote_report",
        "_sr_source",
        "_lsr",
        "_sr_arrival",
        "_prior_source",
        "_prior_expected",
        "_prior_lost",
    )

    def __init__(self, ssrc: int, cname: bytes) -> None:
        self.ssrc = ssrc
        self.cname = cname
        self.received = 0  # valid compound packets from the peer
        self.last_remote_report: RtcpSenderReport | RtcpReceiverReport | None = None
        self._sr_source: int | None = None
        self._lsr = 0
        self._sr_arrival = 0.0
        self._prior_source: int | None = None
        self._prior_expected = 0
        self._prior_lost = 0

    def receive(self, data: bytes, now: float) -> bool:
        """One RTCP datagram from the peer, arrived at ``now``; False when it does not parse."""
        try:
            packets = parse_compound(data)
        except PacketError:
            return False
        self.received += 1
        for packet in packets:
            if isinstance(packet, RtcpSenderReport | RtcpReceiverReport):
                self.last_remote_report = packet
            if isinstance(packet, RtcpSenderReport):
                self._sr_source = packet.ssrc
                self._lsr = (packet.ntp_timestamp >> 16) & 0xFFFFFFFF  # middle 32 bits
                self._sr_arrival = now
        return True

    def report(
        self,
        reception: ReceptionStats | None,
        sending: SendingStats | None,
        wallclock: float,
        now: float,
    ) -> list[RtcpPacket]:
        """SR when we have sent RTP (else RR), with one report block for the source we
        receive, and SDES CNAME (§6.5.1). Starts a new fraction-lost interval."""
        blocks = () if reception is None else (self._block(reception, now),)
        report: RtcpPacket
        if sending is not None and sending.packets:
            report = RtcpSenderReport(
                self.ssrc,
                ntp_timestamp(wallclock),
                sending.rtp_timestamp & 0xFFFFFFFF,
                sending.packets & 0xFFFFFFFF,
                sending.octets & 0xFFFFFFFF,
                blocks,
            )
        else:
            report = RtcpReceiverReport(self.ssrc, blocks)
        return [report, RtcpSdes((SdesChunk(self.ssrc, ((SDES_CNAME, self.cname),)),))]

    def _block(self, reception: ReceptionStats, now: float) -> ReportBlock:
        if reception.ssrc != self._prior_source:  # a new source: its interval starts at zero
            self._prior_source = reception.ssrc
            self._prior_expected = 0
        expected = reception.expected - self._prior_expected
        lost = reception.lost - self._prior_lost
        self._prior_expected, self._prior_lost = reception.expected, reception.lost
        fraction = min((lost << 8) // expected, 255) if expected > 0 and lost > 0 else 0
        lsr = dlsr = 0
        if self._sr_source == reception.ssrc:
            lsr = self._lsr
            dlsr = min(max(int((now - self._sr_arrival) * 65536), 0), 0xFFFFFFFF)
        return ReportBlock(
            reception.ssrc,
            fraction,
            max(min(reception.lost, 0x7FFFFF), -0x800000),
            reception.highest_sequence & 0xFFFFFFFF,
            round(reception.jitter),
            lsr,
            dlsr,
        )
