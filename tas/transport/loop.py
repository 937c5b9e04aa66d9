"""Running a coroutine on uvloop when it is installed, else on the stdlib loop."""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["run", "loop_factory", "tune_gc", "stop_signals"]

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def tune_gc() -> None:
    """Server tuning: move everything imported so far out of the collector's way
    (``gc.freeze``) and collect the young generation less often. The SIP core breaks its
    reference cycles when a call ends, so memory is still freed by reference counting."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def run(main: Coroutine[Any, Any, T], *, server: bool = False) -> T:
    """``asyncio.run`` on uvloop when available; ``server=True`` also applies :func:`tune_gc`."""
    if server:
        tune_gc()
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)


@contextmanager
def stop_signals() -> Iterator[asyncio.Event]:
    """An event set by SIGINT/SIGTERM while the block runs (a repeated signal is absorbed);
    the default handlers come back when the block ends."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
