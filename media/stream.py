"""Sans-IO RTP stream halves for one call: :class:`RtpReceiver` and :class:`RtpSender`.

The receiver parses datagrams, keeps RFC 3550 statistics, reorders through a
:class:`~media.jitter.JitterBuffer` and splits audio from RFC 4733 events; the sender keeps
sequence numbers and timestamps continuous (RFC 3550 §5.1) and sets the marker bit on the
first packet of each talkspurt (RFC 3551 §4.1). Time comes in as arguments.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from media.dtmf import DtmfDigit, DtmfReceiver, TelephoneEvent
from media.errors import PacketError
from media.jitter import InterarrivalJitter, JitterBuffer
from media.rtcp import ReceptionStats
from media.rtp import RtpPacket

__all__ = ["RtpReceiver", "RtpSender", "RtpStats"]

_HEADER = struct.Struct("!BBHII")
_NO_DIGITS: tuple[DtmfDigit, ...] = ()


@dataclass(frozen=True, slots=True)
class RtpStats:
    """Per-call RTP statistics snapshot; ``jitter`` in seconds (RFC 3550 §6.4.1)."""

    packets_received: int = 0
    octets_received: int = 0
    packets_sent: int = 0
    octets_sent: int = 0
    lost: int = 0
    duplicates: int = 0
    late: int = 0
    invalid: int = 0
    foreign: int = 0
    unknown_payload: int = 0
    ssrc_changes: int = 0
    jitter: float = 0.0

    @property
    def loss_fraction(self) -> float:
        expected = self.packets_received - self.duplicates + self.lost
        return self.lost / expected if expected > 0 else 0.0


class RtpReceiver:
    """Receive half: ``receive(data, now)`` returns (audio packets in order, DTMF digits)."""

    __slots__ = (
        "audio_pt",
        "dtmf_pt",
        "depth",
        "packets",
        "octets",
        "invalid",
        "unknown_payload",
        "ssrc_changes",
        "_ssrc",
        "_buffer",
        "_jitter",
        "_dtmf",
        "_old",
        "_max_seq",
        "_base_seq",
        "_cycles",
    )

    def __init__(
        self, audio_pt: int, dtmf_pt: int | None, clock_rate: int = 8000, depth: int = 4
    ) -> None:
        self.audio_pt = audio_pt
        self.dtmf_pt = dtmf_pt
        self.depth = depth
        self.packets = 0
        self.octets = 0
        self.invalid = 0
        self.unknown_payload = 0
        self.ssrc_changes = 0
        self._ssrc: int | None = None
        self._buffer = JitterBuffer(depth)
        self._jitter = InterarrivalJitter(clock_rate)
        self._dtmf = DtmfReceiver(clock_rate)
        self._old = (0, 0, 0)  # lost, duplicates, late of previous SSRCs
        self._max_seq = -1
        self._base_seq = 0
        self._cycles = 0

    def receive(
        self, data: bytes, now: float
    ) -> tuple[list[RtpPacket], tuple[DtmfDigit, ...] | list[DtmfDigit]]:
        """Feed one datagram. Bad packets are counted in ``invalid`` and yield nothing."""
        try:
            packet = RtpPacket.parse(data)
        except PacketError:
            self.invalid += 1
            return [], _NO_DIGITS
        released: list[RtpPacket] = []
        if packet.ssrc != self._ssrc:
            if self._ssrc is not None:  # a new source (re-INVITE, pcap splice): start over
                self.ssrc_changes += 1
                released = self._buffer.flush()
                b = self._buffer
                lost, dup, late = self._old
                self._old = (lost + b.lost, dup + b.duplicates, late + b.late)
                self._max_seq = -1
                self._cycles = 0
                self._buffer = JitterBuffer(self.depth)
                self._jitter = InterarrivalJitter(self._jitter.clock_rate)
            self._ssrc = packet.ssrc
        self.packets += 1
        self.octets += len(packet.payload)
        seq = packet.sequence_number
        if self._max_seq < 0:
            self._max_seq = self._base_seq = seq
        elif 0 < (seq - self._max_seq) & 0xFFFF < 0x8000:  # RFC 3550 §A.1: newer, maybe wrapped
            if seq < self._max_seq:
                self._cycles += 0x10000
            self._max_seq = seq
        pt = packet.payload_type
        if pt == self.audio_pt:
            self._jitter.update(packet.timestamp, now)
            if not released:
                released = self._buffer.push(packet)
                if len(released) == 1:  # the per-packet common case: one in-order audio packet
                    return released, _NO_DIGITS
            else:
                released += self._buffer.push(packet)
        elif pt == self.dtmf_pt:
            released += self._buffer.push(packet)
        else:
            self.unknown_payload += 1
        return self._split(released)

    def _split(self, released: list[RtpPacket]) -> tuple[list[RtpPacket], list[DtmfDigit]]:
        audio: list[RtpPacket] = []
        digits: list[DtmfDigit] = []
        for p in released:
            if p.payload_type == self.audio_pt:
                audio.append(p)
            else:
                try:
                    digits += self._dtmf.feed(p)
                except PacketError:
                    self.invalid += 1
        return audio, digits

    def flush(self) -> tuple[list[RtpPacket], list[DtmfDigit]]:
        """End of stream: release held packets and any unfinished digit."""
        audio, digits = self._split(self._buffer.flush())
        last = self._dtmf.flush()
        if last is not None:
            digits.append(last)
        return audio, digits

    @property
    def ssrc(self) -> int | None:
        return self._ssrc

    @property
    def jitter(self) -> float:
        return self._jitter.seconds

    @property
    def lost(self) -> int:
        return self._old[0] + self._buffer.lost

    @property
    def duplicates(self) -> int:
        return self._old[1] + self._buffer.duplicates

    @property
    def late(self) -> int:
        return self._old[2] + self._buffer.late

    @property
    def highest_sequence(self) -> int:
        """Extended highest sequence number received (RFC 3550 §6.4.1)."""
        return self._cycles + max(self._max_seq, 0)

    def reception(self) -> ReceptionStats | None:
        """This stream's figures for an RTCP report block (§6.4.1); None before any packet.
        Jitter stays in timestamp units of the codec's clock (§A.8)."""
        if self._ssrc is None:
            return None
        highest = self.highest_sequence
        return ReceptionStats(
            self._ssrc, highest, highest - self._base_seq + 1, self.lost, self._jitter.jitter
        )


class RtpSender:
    """Send half: packet headers with continuous sequence numbers and timestamps."""

    __slots__ = (
        "ssrc",
        "payload_type",
        "dtmf_pt",
        "seq",
        "ts_base",
        "packets",
        "octets",
        "_talking",
    )

    def __init__(
        self, ssrc: int, payload_type: int, dtmf_pt: int | None, seq: int = 0, ts_base: int = 0
    ) -> None:
        self.ssrc = ssrc
        self.payload_type = payload_type
        self.dtmf_pt = dtmf_pt
        self.seq = seq & 0xFFFF
        self.ts_base = ts_base
        self.packets = 0
        self.octets = 0
        self._talking = False

    def audio(self, timestamp: int, payload: bytes) -> bytes:
        """An audio packet at ``timestamp`` (in samples from the stream start). The marker
        bit is set on the first packet of a talkspurt: the first of the stream and the first
        after a pause, an event or comfort noise (RFC 3551 §4.1)."""
        marker = 0 if self._talking else 0x80
        self._talking = True
        return self._packet(marker | self.payload_type, timestamp, payload)

    def silence(self) -> None:
        """Nothing is sent this frame: the next audio packet starts a talkspurt."""
        self._talking = False

    def comfort_noise(self, timestamp: int, payload_type: int, level: int) -> bytes:
        """An RFC 3389 §3 CN packet (noise level only, no spectral information); the next
        audio packet starts a talkspurt (RFC 3551 §4.1)."""
        self._talking = False
        return self._packet(payload_type & 0x7F, timestamp, bytes((level & 0x7F,)))

    def event(self, timestamp: int, event: TelephoneEvent, first: bool) -> bytes:
        """An RFC 4733 packet; ``timestamp`` is the event start, marker on the first (§2.5.1.3)."""
        if self.dtmf_pt is None:
            raise PacketError("telephone-event was not negotiated")
        self._talking = False
        return self._packet((0x80 if first else 0) | self.dtmf_pt, timestamp, bytes(event))

    def _packet(self, second: int, timestamp: int, payload: bytes) -> bytes:
        data = (
            _HEADER.pack(0x80, second, self.seq, (self.ts_base + timestamp) & 0xFFFFFFFF, self.ssrc)
            + payload
        )
        self.seq = (self.seq + 1) & 0xFFFF
        self.packets += 1
        self.octets += len(payload)
        return data
