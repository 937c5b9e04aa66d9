"""Receive side ordering and statistics with no clock of their own.

:class:`JitterBuffer` reorders RTP packets by sequence number (RFC 3550 §A.1 extended
sequence numbers) and releases them when the next one is present or the buffer holds
``depth`` packets, counting loss, duplicates and late arrivals. :class:`InterarrivalJitter`
is the RFC 3550 §6.4.1 / §A.8 estimator; the caller passes arrival times.
"""

from __future__ import annotations

from media.rtp import RtpPacket

__all__ = ["InterarrivalJitter", "JitterBuffer"]

_HISTORY = 64
_HISTORY_MASK = (1 << _HISTORY) - 1
_MAX_JUMP = 3000  # a larger forward jump is a restarted sender: resynchronise
_MAX_MISORDER = 100  # RFC 3550 §A.1: further behind is a restart once confirmed


class JitterBuffer:
    """Reorder buffer: ``push()`` returns the packets that are now in order, oldest first."""

    __slots__ = (
        "depth",
        "duplicates",
        "late",
        "lost",
        "released",
        "_expected",
        "_held",
        "_seen",
        "_restart",
    )

    def __init__(self, depth: int = 4) -> None:
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        self.depth = depth
        self.duplicates = 0
        self.late = 0
        self.lost = 0
        self.released = 0
        self._expected: int | None = None  # 16-bit sequence number expected next
        self._held: dict[int, RtpPacket] = {}  # offset from _expected -> packet
        self._seen = 0  # bit i set: packet _expected-1-i was released
        self._restart: RtpPacket | None = None  # far-behind packet waiting for its successor

    def push(self, packet: RtpPacket) -> list[RtpPacket]:
        """Add one packet; returns those released in sequence order (maybe none)."""
        seq = packet.sequence_number
        if self._expected is None:
            self._expected = seq
        offset = (seq - self._expected) & 0xFFFF
        if offset == 0:
            out = [packet]
            self._expected = (seq + 1) & 0xFFFF
            self._seen = ((self._seen << 1) | 1) & _HISTORY_MASK
            if self._held:
                self._held = {k - 1: p for k, p in self._held.items()}
                out.extend(self._drain())
            self.released += len(out)
            return out
        if offset >= 0x8000:  # behind what we expect
            back = 0x10000 - offset
            if back > _MAX_MISORDER:
                return self._maybe_restart(packet)
            if back <= _HISTORY and (self._seen >> (back - 1)) & 1:
                self.duplicates += 1
            else:
                self.late += 1
                self.lost -= 1 if back <= _HISTORY else 0
            return []
        if offset > _MAX_JUMP:
            out = self.flush()
            self._expected = seq
            self._seen = 0
            return out + self.push(packet)
        if offset in self._held:
            self.duplicates += 1
            return []
        self._held[offset] = packet
        if len(self._held) < self.depth:
            return []
        first = min(self._held)
        self.lost += first
        self._skip(first)
        out = self._drain()
        self.released += len(out)
        return out

    def _maybe_restart(self, packet: RtpPacket) -> list[RtpPacket]:
        """RFC 3550 §A.1: a far jump back is a restarted sender (or spliced capture) once the
        next packet confirms it; until then the packet is held aside."""
        held = self._restart
        if held is None or (held.sequence_number + 1) & 0xFFFF != packet.sequence_number:
            if held is not None:
                self.late += 1
            self._restart = packet
            return []
        self._restart = None
        out = self.flush()
        self._expected = held.sequence_number
        self._seen = 0
        return out + self.push(held) + self.push(packet)

    def flush(self) -> list[RtpPacket]:
        """Release everything held, counting the holes as lost (end of call)."""
        out: list[RtpPacket] = []
        while self._held:
            first = min(self._held)
            self.lost += first
            self._skip(first)
            out.extend(self._drain())
        self.released += len(out)
        return out

    def _advance(self, count: int) -> None:
        assert self._expected is not None
        self._expected = (self._expected + count) & 0xFFFF
        self._seen = ((self._seen << count) | 1) & _HISTORY_MASK

    def _skip(self, count: int) -> None:
        assert self._expected is not None
        self._expected = (self._expected + count) & 0xFFFF
        self._seen = (self._seen << count) & _HISTORY_MASK
        self._held = {k - count: p for k, p in self._held.items()}

    def _drain(self) -> list[RtpPacket]:
        out: list[RtpPacket] = []
        while 0 in self._held:
            out.append(self._held.pop(0))
            self._advance(1)
            self._held = {k - 1: p for k, p in self._held.items()}
        return out


class InterarrivalJitter:
    """RFC 3550 §A.8 interarrival jitter, in timestamp units; ``seconds`` converts it."""

    __slots__ = ("clock_rate", "jitter", "_transit")

    def __init__(self, clock_rate: int = 8000) -> None:
        self.clock_rate = clock_rate
        self.jitter = 0.0
        self._transit: float | None = None

    def update(self, timestamp: int, arrival: float) -> None:
        """Feed one packet's RTP timestamp and arrival time (seconds, any epoch)."""
        transit = arrival * self.clock_rate - timestamp
        if self._transit is not None:
            d = abs(transit - self._transit)
            if d < 0x80000000:  # ignore timestamp wraps and sender restarts
                self.jitter += (d - self.jitter) / 16
        self._transit = transit

    @property
    def seconds(self) -> float:
        return self.jitter / self.clock_rate
