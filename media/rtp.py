"""RTP data packets (RFC 3550 §5.1, header extension §5.3.1, padding §5.1)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from media.errors import PacketError

__all__ = ["RTP_HEADER_SIZE", "RtpExtension", "RtpPacket", "is_rtcp"]

RTP_HEADER_SIZE = 12
_HEADER = struct.Struct("!BBHII")
_EXT_HEADER = struct.Struct("!HH")


def is_rtcp(data: bytes) -> bool:
    """RFC 5761 §4: on a muxed port, second octet 192..223 is an RTCP packet type."""
    return len(data) >= 2 and 192 <= data[1] <= 223


@dataclass(frozen=True, slots=True)
class RtpExtension:
    """One RFC 3550 §5.3.1 header extension: a 16-bit profile word and 32-bit-aligned data."""

    profile: int
    data: bytes

    def __post_init__(self) -> None:
        if len(self.data) % 4:
            raise PacketError(f"extension data must be a multiple of 4 octets: {len(self.data)}")


@dataclass(slots=True)
class RtpPacket:
    """An RTP packet; ``parse()`` accepts only version 2 and checks every length.

    Not frozen: a frozen dataclass pays ``object.__setattr__`` per field on the per-packet path.
    """

    payload_type: int
    sequence_number: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    csrc: tuple[int, ...] = ()
    extension: RtpExtension | None = None
    padding: int = 0

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        """Parse one datagram; raises :class:`PacketError` naming the fault."""
        size = len(data)
        if size < RTP_HEADER_SIZE:
            raise PacketError(f"truncated RTP header: {size} of {RTP_HEADER_SIZE} octets")
        b0, b1, seq, ts, ssrc = _HEADER.unpack_from(data)
        if b0 == 0x80:  # the common case: no padding, extension or CSRC
            return cls(b1 & 0x7F, seq, ts, ssrc, bytes(data[12:]), b1 > 0x7F)
        if b0 >> 6 != 2:
            raise PacketError(f"RTP version {b0 >> 6}, expected 2")
        cc = b0 & 0x0F
        pos = RTP_HEADER_SIZE + 4 * cc
        if size < pos:
            raise PacketError(f"truncated CSRC list: {cc} entries need {pos} octets, got {size}")
        csrc = struct.unpack_from(f"!{cc}I", data, RTP_HEADER_SIZE) if cc else ()
        extension = None
        if b0 & 0x10:
            if size < pos + 4:
                raise PacketError("truncated RTP header extension")
            profile, words = _EXT_HEADER.unpack_from(data, pos)
            end = pos + 4 + 4 * words
            if size < end:
                raise PacketError(
                    f"RTP header extension claims {4 * words} octets, {size - pos - 4} present"
                )
            extension = RtpExtension(profile, bytes(data[pos + 4 : end]))
            pos = end
        padding = 0
        stop = size
        if b0 & 0x20:
            padding = data[-1]
            if padding == 0:
                raise PacketError("RTP padding bit set but padding count is 0")
            if padding > size - pos:
                raise PacketError(f"RTP padding {padding} exceeds the {size - pos} octets left")
            stop = size - padding
        return cls(
            payload_type=b1 & 0x7F,
            sequence_number=seq,
            timestamp=ts,
            ssrc=ssrc,
            payload=bytes(data[pos:stop]),
            marker=bool(b1 & 0x80),
            csrc=tuple(csrc),
            extension=extension,
            padding=padding,
        )

    def __bytes__(self) -> bytes:
        if not 0 <= self.payload_type <= 127:
            raise PacketError(f"payload type {self.payload_type} out of 0..127")
        if len(self.csrc) > 15:
            raise PacketError(f"{len(self.csrc)} CSRCs, at most 15")
        if not 0 <= self.padding <= 255:
            raise PacketError(f"padding {self.padding} out of 0..255")
        b0 = 0x80 | len(self.csrc)
        if self.padding:
            b0 |= 0x20
        if self.extension is not None:
            b0 |= 0x10
        out = _HEADER.pack(
            b0,
            (0x80 if self.marker else 0) | self.payload_type,
            self.sequence_number & 0xFFFF,
            self.timestamp & 0xFFFFFFFF,
            self.ssrc & 0xFFFFFFFF,
        )
        if self.csrc:
            out += struct.pack(f"!{len(self.csrc)}I", *self.csrc)
        if self.extension is not None:
            ext = self.extension
            out += _EXT_HEADER.pack(ext.profile, len(ext.data) // 4) + ext.data
        out += self.payload
        if self.padding:
            out += bytes(self.padding - 1) + bytes((self.padding,))
        return out
