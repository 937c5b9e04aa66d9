"""RTP media clocks (pure): the shared tick grid and one frame clock per stream.

:class:`TickClock` is the sans-IO core of :class:`~media.pacer.Pacer`: it numbers 20 ms
ticks from a fixed epoch (``epoch + n * interval``, so lateness never accumulates) and hands
out every tick number at most once, in order, whatever times it is asked at.

:class:`StreamClock` is the RTP clock of one sending stream (RFC 3550 §5.1): it starts on a
tick of the grid, and frame ``k`` of the stream is due on tick ``start + k * frame_ticks``
with RTP timestamp ``(tick - start) * samples_per_tick`` past the stream's random base. One packet per frame,
never two for the same frame: the sequence number then advances by one and the timestamp by
the frame size (RFC 3551 §4.2: 160 samples for 20 ms of G.711) on every packet.
"""

from __future__ import annotations

__all__ = ["TICK", "StreamClock", "TickClock"]

TICK = 0.02  # seconds per tick of the shared grid (the smallest ptime we send)
_EPSILON = 1e-6  # float-safe floor: a timer firing at exactly epoch + n*interval is tick n


class TickClock:
    """Which ticks of the ``epoch + n * interval`` grid are due at ``now``.

    :meth:`due` never returns a tick twice and never goes back in time. After a stall of
    more than ``max_burst`` ticks the oldest missed ticks are skipped (counted in
    ``skipped``) rather than sent as a long burst: late audio is useless to a jitter buffer.
    """

    __slots__ = ("epoch", "interval", "max_burst", "next_tick", "skipped", "late")

    def __init__(self, epoch: float, interval: float = TICK, max_burst: int = 5) -> None:
        self.epoch = epoch
        self.interval = interval
        self.max_burst = max_burst
        self.next_tick = 0  # the first tick not handed out yet
        self.skipped = 0
        self.late = 0  # calls that found more than one tick due

    def current(self, now: float) -> int:
        """The tick whose slot contains ``now``."""
        return int((now - self.epoch) / self.interval + _EPSILON)

    def resume(self, now: float) -> int:
        """Start again after being idle: the next tick to run is the current one unless it
        was already handed out. Returns that tick (where a newly started stream begins)."""
        self.next_tick = max(self.next_tick, self.current(now))
        return self.next_tick

    def due(self, now: float) -> range:
        """The ticks to run now, oldest first; empty when ``now`` is before the next tick."""
        last = self.current(now)
        if last < self.next_tick:
            return range(0)
        if last - self.next_tick >= self.max_burst:
            self.skipped += last - self.next_tick - self.max_burst + 1
            self.next_tick = last - self.max_burst + 1
        if last > self.next_tick:
            self.late += 1
        ticks = range(self.next_tick, last + 1)
        self.next_tick = last + 1
        return ticks

    def deadline(self) -> float:
        """When the next tick is due (for ``loop.call_at``)."""
        return self.epoch + self.next_tick * self.interval


class StreamClock:
    """The RTP clock of one sending stream on the shared tick grid (RFC 3550 §5.1).

    ``frame(tick)`` returns the RTP timestamp of the frame due at ``tick``, or None when
    ``tick`` is not a frame boundary of this stream or its frame was already sent (a second
    call for the same tick sends nothing). ``ptime`` may change mid-stream (re-INVITE):
    timestamps stay derived from the start tick, so they never jump back.
    """

    __slots__ = ("start_tick", "frame_ticks", "samples_per_tick", "last_tick")

    def __init__(self, start_tick: int, frame_ticks: int = 1, samples_per_tick: int = 160) -> None:
        self.start_tick = start_tick
        self.frame_ticks = max(1, frame_ticks)
        self.samples_per_tick = samples_per_tick
        self.last_tick: int | None = None  # tick of the last frame handed out

    @property
    def samples_per_frame(self) -> int:
        return self.samples_per_tick * self.frame_ticks

    def frame(self, tick: int) -> int | None:
        """RTP timestamp offset (unwrapped, before the random base) of the frame due at ``tick``."""
        offset = tick - self.start_tick
        if offset < 0 or offset % self.frame_ticks:
            return None
        if self.last_tick is not None and tick <= self.last_tick:
            return None
        self.last_tick = tick
        return offset * self.samples_per_tick
