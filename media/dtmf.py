"""DTMF as RTP named telephone events (RFC 4733 §2.3 payload, §2.5 sending, §2.6 receiving)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from media.errors import PacketError
from media.rtp import RtpPacket

__all__ = [
    "DTMF_EVENTS",
    "DtmfDigit",
    "DtmfReceiver",
    "TelephoneEvent",
    "dtmf_payloads",
    "event_code",
]

DTMF_EVENTS = "0123456789*#ABCD"  # event codes 0..15 (RFC 4733 §3.2)
_EVENT = struct.Struct("!BBH")
END_REPEATS = 3  # §2.5.1.4: the final packet is sent three times


def event_code(digit: str) -> int:
    """RFC 4733 event code of ``digit`` (0-9, *, #, A-D)."""
    index = DTMF_EVENTS.find(digit.upper()) if len(digit) == 1 else -1
    if index < 0:
        raise ValueError(f"not a DTMF digit: {digit!r}")
    return index


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    """The 4-octet event payload (§2.3): event, end bit, volume (-dBm0), duration in samples."""

    event: int
    end: bool
    volume: int
    duration: int

    @classmethod
    def parse(cls, payload: bytes) -> TelephoneEvent:
        if len(payload) < 4:
            raise PacketError(f"truncated telephone-event payload: {len(payload)} of 4 octets")
        event, flags, duration = _EVENT.unpack_from(payload)
        return cls(event, bool(flags & 0x80), flags & 0x3F, duration)

    def __bytes__(self) -> bytes:
        if not 0 <= self.volume <= 63:
            raise PacketError(f"volume {self.volume} out of 0..63")
        flags = (0x80 if self.end else 0) | self.volume
        return _EVENT.pack(self.event & 0xFF, flags, min(self.duration, 0xFFFF))


@dataclass(frozen=True, slots=True)
class DtmfDigit:
    """One received key press; ``duration`` in seconds, ``timestamp`` is its RTP timestamp."""

    digit: str
    duration: float
    timestamp: int
    volume: int


class DtmfReceiver:
    """Turns telephone-event packets into digits, each reported exactly once (§2.6).

    An event is identified by its RTP timestamp. It is reported on its first end packet;
    retransmitted end packets and redundant updates are ignored. If the end packets are lost,
    the event is reported when the next event starts or on :meth:`flush`.
    """

    __slots__ = ("clock_rate", "_current", "_done")

    def __init__(self, clock_rate: int = 8000) -> None:
        self.clock_rate = clock_rate
        self._current: tuple[int, TelephoneEvent] | None = None
        self._done: list[int] = []  # timestamps of recently reported events

    def feed(self, packet: RtpPacket) -> list[DtmfDigit]:
        """Feed one telephone-event RTP packet; returns the digits it completes (usually 0 or 1)."""
        event = TelephoneEvent.parse(packet.payload)
        ts = packet.timestamp
        if event.event >= len(DTMF_EVENTS) or ts in self._done:
            return []
        out = []
        if self._current is not None and self._current[0] != ts:
            out.append(self._report(*self._current))
        if event.end:
            out.append(self._report(ts, event))
        elif self._current is None or self._current[1].duration <= event.duration:
            self._current = (ts, event)
        return out

    def flush(self) -> DtmfDigit | None:
        """Report an event whose end packets never came (call ends)."""
        if self._current is None:
            return None
        return self._report(*self._current)

    def _report(self, ts: int, event: TelephoneEvent) -> DtmfDigit:
        if self._current is not None and self._current[0] == ts:
            self._current = None
        self._done = [*self._done[-7:], ts]
        return DtmfDigit(
            DTMF_EVENTS[event.event], event.duration / self.clock_rate, ts, event.volume
        )


def dtmf_payloads(
    digit: str, duration: float = 0.1, ptime: float = 0.02, volume: int = 10, clock_rate: int = 8000
) -> list[bytes]:
    """Payloads to send for one digit, one per ``ptime`` (§2.5.1): updates, then 3 end packets.

    All share one RTP timestamp; the first carries the marker bit (the caller sets it).
    """
    code = event_code(digit)
    step = round(ptime * clock_rate)
    total = max(step, round(duration * clock_rate))
    out = [
        bytes(TelephoneEvent(code, False, volume, elapsed)) for elapsed in range(step, total, step)
    ]
    out += [bytes(TelephoneEvent(code, True, volume, total))] * END_REPEATS
    return out
