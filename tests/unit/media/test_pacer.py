"""The Pacer: one 20 ms timer for every output, on a virtual loop."""

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from media.pacer import Pacer


class VirtualLoop:
    """Just enough of an event loop for the pacer: a clock we move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.calls: list[tuple[float, Callable[[], None]]] = []

    def time(self) -> float:
        return self.now

    def call_soon(self, callback: Callable[[], None]) -> asyncio.Handle:
        return self.call_at(self.now, callback)

    def call_at(self, when: float, callback: Callable[[], None]) -> Any:
        entry = (when, callback)
        self.calls.append(entry)

        class Handle:
            def cancel(inner) -> None:  # noqa: N805
                if entry in self.calls:
                    self.calls.remove(entry)

        return Handle()

    def advance(self, to: float) -> None:
        while self.calls and min(c[0] for c in self.calls) <= to:
            entry = min(self.calls, key=lambda c: c[0])
            self.calls.remove(entry)
            self.now = max(self.now, entry[0])
            entry[1]()
        self.now = to


def test_one_timer_for_many_outputs_and_no_drift() -> None:
    loop = VirtualLoop()
    pacer = Pacer(loop)  # type: ignore[arg-type]
    ticks: dict[str, list[int]] = {"a": [], "b": []}
    for name in ticks:
        pacer.activate(lambda t, n=name: ticks[n].append(t) or len(ticks[n]) < 50)
    assert len(loop.calls) == 1
    loop.advance(1000.0 + 0.02 * 49 + 0.001)
    assert ticks["a"] == ticks["b"] == list(range(ticks["a"][0], ticks["a"][0] + 50))
    assert pacer.active == 0 and loop.calls == []


def test_deadlines_are_on_the_grid_even_when_late() -> None:
    loop = VirtualLoop()
    pacer = Pacer(loop)  # type: ignore[arg-type]
    seen: list[int] = []
    pacer.activate(lambda t: seen.append(t) or True)
    loop.advance(1000.0)
    for _ in range(10):
        when, callback = loop.calls.pop()
        loop.now = when + 0.007  # every wake-up is 7 ms late
        callback()
    (when, _) = loop.calls[0]
    assert (when - 1000.0) / 0.02 == pytest.approx(round((when - 1000.0) / 0.02))
    assert seen == list(range(seen[0], seen[0] + 11))


def test_a_stall_is_caught_up_in_a_short_burst_then_skipped() -> None:
    loop = VirtualLoop()
    pacer = Pacer(loop)  # type: ignore[arg-type]
    seen: list[int] = []
    pacer.activate(lambda t: seen.append(t) or True)
    loop.advance(1000.0)
    when, callback = loop.calls.pop()
    loop.now = when + 0.5  # 25 ticks late
    callback()
    assert len(seen) == 1 + pacer.max_burst and pacer.skipped > 0


def test_a_failing_output_is_dropped_and_others_go_on() -> None:
    loop = VirtualLoop()
    pacer = Pacer(loop)  # type: ignore[arg-type]
    seen: list[int] = []

    def broken(tick: int) -> bool:
        raise RuntimeError("boom")

    pacer.activate(broken)
    pacer.activate(lambda t: seen.append(t) or True)
    loop.advance(1000.05)
    assert pacer.active == 1 and len(seen) == 3
    pacer.close()
    assert loop.calls == []


def test_reactivation_within_the_tick_just_run_waits_for_the_next_tick() -> None:
    """Issue 11: a prompt ending and the next starting within one tick sent that tick twice."""
    loop = VirtualLoop()
    pacer = Pacer(loop)  # type: ignore[arg-type]
    seen: list[int] = []
    first = pacer.activate(lambda t: seen.append(t) or False)  # one tick, then done
    loop.advance(1000.005)
    assert seen == [first] and pacer.active == 0 and loop.calls == []
    again = pacer.activate(lambda t: seen.append(t) or len(seen) < 4)  # same 20 ms slot
    assert again == first + 1
    loop.advance(1000.1)
    assert seen == [first, first + 1, first + 2, first + 3]


def test_an_output_added_while_running_starts_on_the_next_tick() -> None:
    loop = VirtualLoop()
    pacer = Pacer(loop)  # type: ignore[arg-type]
    a: list[int] = []
    b: list[int] = []
    pacer.activate(lambda t: a.append(t) or True)
    loop.advance(1000.03)
    start = pacer.activate(lambda t: b.append(t) or True)
    loop.advance(1000.09)
    assert b[0] == start == a[-1] - len(b) + 1 and b == list(range(start, start + len(b)))
    pacer.close()
