"""The stack's overload guard: one log line per reason per interval, the lag monitor on a
real loop, and the ``[limits]`` settings reaching the stack."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict

import pytest

from tas.config import LimitsSettings, Settings
from tas.transport.guard import LagMonitor, OverloadGuard
from tas.transport.overload import OverloadLimits


def test_a_flood_of_drops_is_one_line_per_reason(caplog: pytest.LogCaptureFixture) -> None:
    guard = OverloadGuard(OverloadLimits(log_interval=10.0))
    with caplog.at_level(logging.WARNING, "tas.transport.overload"):
        for i in range(10_000):
            guard.dropped("rate", "127.0.0.2", i / 1000)
            guard.dropped("vias", "127.0.0.2", i / 1000)
        guard.rejected("invite_lag", "127.0.0.1", 0.0)
        assert guard.error("receive", 0.0)
        assert not guard.error("receive", 1.0)  # no second traceback in the interval
        guard.flush_log(10.0)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 6, lines
    assert "event=overload_drop reason=rate count=1 " in lines[0]
    assert "event=overload_drop reason=rate count=9999" in " ".join(lines)
    assert "event=overload_error reason=receive count=1" in " ".join(lines)
    assert guard.drops.totals == {"rate": 10_000, "vias": 10_000}


async def test_lag_monitor_sees_a_blocked_loop() -> None:
    guard = OverloadGuard(OverloadLimits(lag_threshold=0.1, lag_interval=0.01, lag_hold=0.2))
    monitor = LagMonitor(guard, asyncio.get_running_loop())
    monitor.start()
    try:
        await asyncio.sleep(0.05)
        assert not guard.overloaded
        time.sleep(0.15)  # noqa: ASYNC251 - one stall below threshold / alpha: no overload
        await asyncio.sleep(0.03)
        assert not guard.overloaded
        await asyncio.sleep(0.1)
        time.sleep(0.3)  # noqa: ASYNC251 - block the loop on purpose
        await asyncio.sleep(0.03)
        assert guard.overloaded and guard.lag.peak >= 0.25
        await asyncio.sleep(0.4)
        assert not guard.overloaded  # calm for longer than lag_hold
    finally:
        monitor.stop()


def test_limits_settings_map_onto_overload_limits() -> None:
    from tas.server import stack_options

    settings = Settings(
        limits=LimitsSettings(rate=7.0, max_calls=3, retry_after=9),
        sip={"tls": []},  # type: ignore[arg-type]
    )
    limits = stack_options(settings).limits
    assert (limits.rate, limits.max_calls, limits.retry_after) == (7.0, 3, 9)
    assert LimitsSettings().model_dump() == asdict(OverloadLimits())  # one set of defaults
