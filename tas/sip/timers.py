"""RFC 3261 timers (§17, table 4 of appendix A) and RFC 6026 timers L and M, in one place.

Every duration derives from T1 (RTT estimate), T2 (max retransmit interval for non-INVITE
requests and INVITE responses) and T4 (max time a message stays in the network). Timers that
only absorb retransmissions (D, I, J, K) are zero over reliable transports.

:class:`TimerHeap` is the one deadline queue of the sans-IO core: owners (transactions, calls)
arm named timers on it; the adapter asks :meth:`TimerHeap.next_deadline` and arms a single
``loop.call_at``; :meth:`TimerHeap.fire_due` calls each due owner's ``on_timer``. Cancelling
is lazy (an entry whose deadline no longer matches its owner's ``deadlines`` is skipped).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from itertools import count
from typing import Protocol

__all__ = ["TimerConfig", "TimerOwner", "TimerHeap"]


@dataclass(frozen=True, slots=True)
class TimerConfig:
    """T1/T2/T4 (§17.1.1.1) and every timer derived from them, in seconds."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0

    def a(self) -> float:
        """Timer A: first INVITE retransmit interval, doubles each time (§17.1.1.2)."""
        return self.t1

    def b(self) -> float:
        """Timer B: INVITE transaction timeout (§17.1.1.2)."""
        return 64 * self.t1

    def d(self, reliable: bool) -> float:
        """Timer D: wait for response retransmits, >32 s unreliable, 0 reliable (§17.1.1.2)."""
        return 0.0 if reliable else max(32.0, 64 * self.t1)

    def e(self) -> float:
        """Timer E: first non-INVITE retransmit interval, doubles up to T2 (§17.1.2.2)."""
        return self.t1

    def f(self) -> float:
        """Timer F: non-INVITE transaction timeout (§17.1.2.2)."""
        return 64 * self.t1

    def g(self) -> float:
        """Timer G: first INVITE final response retransmit interval, up to T2 (§17.2.1)."""
        return self.t1

    def h(self) -> float:
        """Timer H: wait time for ACK receipt (§17.2.1)."""
        return 64 * self.t1

    def i(self, reliable: bool) -> float:
        """Timer I: wait time for ACK retransmits, T4 unreliable, 0 reliable (§17.2.1)."""
        return 0.0 if reliable else self.t4

    def j(self, reliable: bool) -> float:
        """Timer J: wait time for non-INVITE request retransmits (§17.2.2)."""
        return 0.0 if reliable else 64 * self.t1

    def k(self, reliable: bool) -> float:
        """Timer K: wait time for non-INVITE response retransmits (§17.1.2.2)."""
        return 0.0 if reliable else self.t4

    def l(self) -> float:  # noqa: E743 - the RFC's name
        """Timer L: server INVITE transaction stays Accepted (RFC 6026 §8.7)."""
        return 64 * self.t1

    def m(self) -> float:
        """Timer M: client INVITE transaction stays Accepted (RFC 6026 §8.4)."""
        return 64 * self.t1

    def trying(self) -> float:
        """Send 100 Trying if the TU has not answered an INVITE within 200 ms (§17.2.1)."""
        return 0.2

    def next_interval(self, interval: float, cap: bool = True) -> float:
        """Doubling backoff; capped at T2 unless ``cap`` is False (timer A)."""
        doubled = 2 * interval
        return min(doubled, self.t2) if cap else doubled


class TimerOwner(Protocol):
    """Anything that arms timers: keeps its live deadlines and handles expiry."""

    deadlines: dict[str, float]

    def on_timer(self, name: str, now: float) -> None: ...


class TimerHeap:
    """A min-heap of (deadline, seq, owner, name) with lazy cancellation."""

    __slots__ = ("_heap", "_seq", "_stale")

    #: compact once this many entries were discarded and they are half the heap
    COMPACT_AFTER = 1024

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, TimerOwner, str]] = []
        self._seq = count()
        self._stale = 0

    def arm(self, owner: TimerOwner, name: str, when: float) -> None:
        """(Re)arm ``owner``'s timer ``name`` to fire at ``when``."""
        owner.deadlines[name] = when
        heapq.heappush(self._heap, (when, next(self._seq), owner, name))

    @staticmethod
    def cancel(owner: TimerOwner, name: str) -> None:
        owner.deadlines.pop(name, None)

    def discard(self, owner: TimerOwner) -> None:
        """Cancel every timer of ``owner``, for long timers (a session timer's half hour):
        their dead entries are counted and the heap is compacted when they are half of it,
        so an ended call is not kept alive by its cancelled timer until the deadline."""
        self._stale += len(owner.deadlines)
        owner.deadlines.clear()
        heap = self._heap
        if self._stale >= self.COMPACT_AFTER and 2 * self._stale >= len(heap):
            heap[:] = [e for e in heap if e[2].deadlines.get(e[3]) == e[0]]  # in place:
            heapq.heapify(heap)  # fire_due may be iterating it
            self._stale = 0

    def next_deadline(self) -> float | None:
        heap = self._heap
        while heap:
            when, _, owner, name = heap[0]
            if owner.deadlines.get(name) == when:
                return when
            heapq.heappop(heap)
        return None

    def fire_due(self, now: float) -> int:
        """Fire every timer due at ``now`` in deadline order; returns how many fired."""
        heap = self._heap
        fired = 0
        while heap and heap[0][0] <= now:
            when, _, owner, name = heapq.heappop(heap)
            if owner.deadlines.get(name) != when:
                continue
            del owner.deadlines[name]
            owner.on_timer(name, now)
            fired += 1
        return fired

    def __len__(self) -> int:
        return len(self._heap)
