"""RTCP packets (RFC 3550 §6.4 SR/RR, §6.5 SDES, §6.6 BYE) and compound packets (§6.1)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from media.errors import PacketError

__all__ = [
    "RTCP_BYE",
    "RTCP_RR",
    "RTCP_SDES",
    "RTCP_SR",
    "ReportBlock",
    "RtcpBye",
    "RtcpPacket",
    "RtcpReceiverReport",
    "RtcpSdes",
    "RtcpSenderReport",
    "RtcpUnknown",
    "SdesChunk",
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
