"""The drain state machine (tas.drain) on a virtual clock, and its driver on a real loop."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tas.drain import Drain, Phase, drain


def test_first_signal_drains_until_the_last_call_ends() -> None:
    state = Drain(timeout=30.0)
    assert state.poll(0.0, 5) is Phase.SERVING and state.deadline is None
    assert state.signal(100.0) is Phase.DRAINING
    assert state.deadline == 130.0
    assert state.poll(110.0, 3) is Phase.DRAINING
    assert state.poll(120.0, 0) is Phase.DONE
    assert state.finished
    assert state.poll(200.0, 7) is Phase.DONE  # final
    assert state.signal(201.0) is Phase.DONE


def test_timeout_forces_the_end() -> None:
    state = Drain(timeout=30.0)
    state.signal(0.0)
    assert state.poll(29.9, 2) is Phase.DRAINING
    assert state.poll(30.0, 2) is Phase.FORCED


def test_second_signal_forces_unless_it_is_the_same_burst() -> None:
    state = Drain(timeout=30.0, debounce=1.0)
    state.signal(10.0)
    assert state.signal(10.2) is Phase.DRAINING  # timeout(1) signals the child and its group
    assert state.signal(11.0) is Phase.FORCED
    assert state.signals == 3


def test_zero_timeout_is_bye_at_once() -> None:
    state = Drain(timeout=0.0)
    assert state.signal(5.0) is Phase.FORCED


async def test_driver_logs_start_progress_and_end(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.get_running_loop()
    state = Drain(timeout=10.0)
    woken = asyncio.Event()
    calls = [2]
    started: list[bool] = []

    async def on_start() -> None:
        started.append(True)

    async def hang_up() -> None:
        await asyncio.sleep(0.05)
        state.signal(loop.time())
        woken.set()
        await asyncio.sleep(0.1)
        calls[0] = 1
        await asyncio.sleep(0.1)
        calls[0] = 0

    with caplog.at_level(logging.INFO, "tas.drain"):
        task = asyncio.create_task(hang_up())
        phase = await drain(state, woken, lambda: calls[0], on_start=on_start, poll=0.02, report=0)
        await task
    assert phase is Phase.DONE and started == [True]
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "event=drain_start active_calls=2 drain_timeout=10.0"
    assert any(line.startswith("event=drain_progress calls_remaining=1") for line in lines)
    assert lines[-1].startswith("event=drain_end outcome=done calls_remaining=0")


async def test_driver_forced_by_timeout() -> None:
    state = Drain(timeout=0.1)
    woken = asyncio.Event()
    state.signal(asyncio.get_running_loop().time())
    woken.set()
    assert await drain(state, woken, lambda: 3, poll=0.02) is Phase.FORCED
