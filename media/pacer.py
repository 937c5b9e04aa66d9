"""One shared 20 ms pacing timer for every player in the process (asyncio adapter).

Ticks are numbered from a fixed epoch and scheduled at ``epoch + n * interval`` with
``loop.call_at``, so lateness never accumulates (no drift). If the loop stalls, the missed
ticks are sent as a short burst (at most ``max_burst``); beyond that they are skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from media.player import TICK

__all__ = ["Pacer", "PacedOutput"]

_log = logging.getLogger(__name__)
PacedOutput = Callable[[int], bool]  # called with the tick number; False when idle


class Pacer:
    """Calls each active output once per tick until it reports it is idle."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop | None = None, interval: float = TICK
    ) -> None:
        self.loop = loop or asyncio.get_running_loop()
        self.interval = interval
        self.max_burst = 5
        self.skipped = 0
        self.late_ticks = 0
        self._epoch = self.loop.time()
        self._tick = 0
        self._active: dict[PacedOutput, None] = {}
        self._handle: asyncio.TimerHandle | asyncio.Handle | None = None

    @property
    def active(self) -> int:
        return len(self._active)

    def activate(self, output: PacedOutput) -> None:
        """Start calling ``output`` every tick (from the next tick, or now if idle)."""
        self._active[output] = None
        if self._handle is None:
            self._tick = int((self.loop.time() - self._epoch) / self.interval)
            self._handle = self.loop.call_soon(self._run)

    def deactivate(self, output: PacedOutput) -> None:
        self._active.pop(output, None)

    def close(self) -> None:
        self._active.clear()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _run(self) -> None:
        due = int((self.loop.time() - self._epoch) / self.interval + 1e-6)  # float-safe floor
        if due - self._tick >= self.max_burst:
            self.skipped += due - self._tick - self.max_burst + 1
            self._tick = due - self.max_burst + 1
        if due > self._tick:
            self.late_ticks += 1
        while self._tick <= due and self._active:
            tick = self._tick
            for output in list(self._active):
                try:
                    busy = output(tick)
                except Exception:  # a broken output must not stop every other call's audio
                    _log.exception("paced output failed; dropping it")
                    busy = False
                if not busy:
                    self._active.pop(output, None)
            self._tick += 1
        self._tick = max(self._tick, due + 1)
        if self._active:
            self._handle = self.loop.call_at(self._epoch + self._tick * self.interval, self._run)
        else:
            self._handle = None
