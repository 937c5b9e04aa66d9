"""One shared 20 ms pacing timer for every sending stream in the process (asyncio adapter).

The tick arithmetic is :class:`~media.clock.TickClock` (pure): ticks are numbered from a fixed
epoch and scheduled at ``epoch + n * interval`` with ``loop.call_at``, so lateness never
accumulates (no drift), and no tick number is ever run twice, even when an output is
re-activated within the tick it was just called for. If the loop stalls, the missed ticks
are run as a short burst (at most ``max_burst``); beyond that they are skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from media.clock import TICK, TickClock

__all__ = ["Pacer", "PacedOutput"]

_log = logging.getLogger(__name__)
PacedOutput = Callable[[int], bool]  # called with the tick number; False when done


class Pacer:
    """Calls each active output once per tick until it reports it is done."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop | None = None, interval: float = TICK
    ) -> None:
        self.loop = loop or asyncio.get_running_loop()
        self.interval = interval
        self.clock = TickClock(self.loop.time(), interval)
        self._active: dict[PacedOutput, None] = {}
        self._handle: asyncio.TimerHandle | asyncio.Handle | None = None

    @property
    def max_burst(self) -> int:
        return self.clock.max_burst

    @property
    def skipped(self) -> int:
        return self.clock.skipped

    @property
    def late_ticks(self) -> int:
        return self.clock.late

    @property
    def active(self) -> int:
        return len(self._active)

    def activate(self, output: PacedOutput) -> int:
        """Call ``output`` every tick from the next one not yet run; returns that tick."""
        self._active[output] = None
        if self._handle is None:
            first = self.clock.resume(self.loop.time())
            self._handle = self.loop.call_at(self.clock.deadline(), self._run)
            return first
        return self.clock.next_tick

    def deactivate(self, output: PacedOutput) -> None:
        self._active.pop(output, None)

    def close(self) -> None:
        self._active.clear()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _run(self) -> None:
        self._handle = None
        for tick in self.clock.due(self.loop.time()):
            if not self._active:
                break
            for output in list(self._active):
                try:
                    busy = output(tick)
                except Exception:  # a broken output must not stop every other call's audio
                    _log.exception("paced output failed; dropping it")
                    busy = False
                if not busy:
                    self._active.pop(output, None)
        if self._active:
            self._handle = self.loop.call_at(self.clock.deadline(), self._run)
