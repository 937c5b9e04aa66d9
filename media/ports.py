"""RTP port pool: even ports for RTP, the odd one above for RTCP (RFC 3550 §11)."""

from __future__ import annotations

from media.errors import MediaError

__all__ = ["PortPool"]


class PortPool:
    """Hands out even ports in ``[port_min, port_max]`` round-robin; pure bookkeeping.

    Round-robin (rather than lowest-free) keeps a just-released port idle for as long as
    possible, so late packets of an old call do not land in a new one.
    """

    __slots__ = ("port_min", "port_max", "_next", "_used")

    def __init__(self, port_min: int = 20000, port_max: int = 29999) -> None:
        first = port_min + (port_min & 1)
        if first + 1 > port_max:
            raise ValueError(f"no even RTP/RTCP port pair in {port_min}..{port_max}")
        self.port_min = first
        self.port_max = port_max
        self._next = first
        self._used: set[int] = set()

    @property
    def capacity(self) -> int:
        return (self.port_max - self.port_min + 1) // 2

    @property
    def in_use(self) -> int:
        return len(self._used)

    def acquire(self) -> int:
        """An even port not in use; :class:`MediaError` when the range is exhausted."""
        for _ in range(self.capacity):
            port = self._next
            self._next += 2
            if self._next + 1 > self.port_max:
                self._next = self.port_min
            if port not in self._used:
                self._used.add(port)
                return port
        raise MediaError(f"all {self.capacity} RTP ports in use")

    def release(self, port: int) -> None:
        self._used.discard(port)
