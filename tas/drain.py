"""Graceful drain of ``tas serve`` on SIGTERM (issue 14, build item 4).

The first SIGTERM/SIGINT starts the drain: the SIP stack refuses new INVITEs and OPTIONS
with 503 + Retry-After (:attr:`tas.transport.guard.OverloadGuard.draining`; a load balancer
such as Kamailio's dispatcher fails the INVITE over and its OPTIONS probe takes the replica
out of rotation), ``/readyz`` and the gRPC health services say NOT_SERVING, and the calls in
progress go on to their natural end. The drain ends when the last call has ended (DONE), or is
cut short (FORCED) when ``[server] drain_timeout`` has passed or a second signal comes at least
``debounce`` seconds after the first (``timeout(1)`` signals the child and its group at once,
so a near-simultaneous pair counts as one); the server then stops as before: BYE to every
call left, services in reverse order, exit 0. ``drain_timeout = 0`` is the old behaviour:
BYE at once.

:class:`Drain` is the state machine, pure (every call takes ``now``); :func:`drain` drives it
on the event loop.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from tas.logs import log_event

__all__ = ["Drain", "Phase", "drain", "drain_signals"]

log = logging.getLogger("tas.drain")


class Phase(enum.Enum):
    SERVING = "serving"
    DRAINING = "draining"  # no new calls; the active ones go on
    DONE = "done"  # the last call ended: stop
    FORCED = "forced"  # timeout or second signal: BYE what is left, stop


@dataclass(slots=True)
class Drain:
    """SERVING -signal-> DRAINING -no calls-> DONE; DRAINING -timeout or signal-> FORCED.

    With ``timeout <= 0`` the first signal goes straight to FORCED."""

    timeout: float = 30.0
    debounce: float = 1.0
    phase: Phase = Phase.SERVING
    started: float | None = None
    signals: int = 0

    @property
    def deadline(self) -> float | None:
        """When the drain is cut short (None before it starts)."""
        return None if self.started is None else self.started + self.timeout

    @property
    def finished(self) -> bool:
        return self.phase in (Phase.DONE, Phase.FORCED)

    def signal(self, now: float) -> Phase:
        """A SIGTERM/SIGINT at ``now``."""
        self.signals += 1
        if self.phase is Phase.SERVING:
            self.started = now
            self.phase = Phase.FORCED if self.timeout <= 0 else Phase.DRAINING
        elif self.phase is Phase.DRAINING:
            assert self.started is not None
            if now - self.started >= self.debounce:
                self.phase = Phase.FORCED
        return self.phase

    def poll(self, now: float, active_calls: int) -> Phase:
        """The phase given the calls still up at ``now``."""
        if self.phase is Phase.DRAINING:
            deadline = self.deadline
            if active_calls <= 0:
                self.phase = Phase.DONE
            elif deadline is not None and now >= deadline:
                self.phase = Phase.FORCED
        return self.phase


@contextmanager
def drain_signals(state: Drain, loop: asyncio.AbstractEventLoop) -> Iterator[asyncio.Event]:
    """SIGINT/SIGTERM feed ``state`` while the block runs; the event is set on each signal.
    The default handlers come back when the block ends."""
    woken = asyncio.Event()

    def on_signal() -> None:
        state.signal(loop.time())
        woken.set()

    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, on_signal)
    try:
        yield woken
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


async def drain(
    state: Drain,
    woken: asyncio.Event,
    active_calls: Callable[[], int],
    *,
    on_start: Callable[[], Awaitable[None]] | None = None,
    poll: float = 0.2,
    report: float = 5.0,
) -> Phase:
    """Wait for the first signal, then until the drain is DONE or FORCED; logs its start,
    the calls remaining (every ``report`` s while the count changes) and its end."""
    loop = asyncio.get_running_loop()
    while state.phase is Phase.SERVING:
        woken.clear()
        await woken.wait()
    start = state.started if state.started is not None else loop.time()
    if on_start is not None:
        await on_start()
    log_event(
        log, "drain_start", active_calls=active_calls(), drain_timeout=round(state.timeout, 1)
    )
    last_count, last_report = -1, loop.time()
    while state.poll(loop.time(), active_calls()) is Phase.DRAINING:
        woken.clear()
        with suppress(TimeoutError):
            await asyncio.wait_for(woken.wait(), poll)
        now, count = loop.time(), active_calls()
        if count != last_count and now - last_report >= report:
            log_event(log, "drain_progress", calls_remaining=count, elapsed=round(now - start, 1))
            last_count, last_report = count, now
    log_event(
        log,
        "drain_end",
        outcome=state.phase.value,
        calls_remaining=active_calls(),
        elapsed=round(loop.time() - start, 1),
    )
    return state.phase
