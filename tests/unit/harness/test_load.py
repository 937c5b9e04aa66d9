"""Load plans are bounded in calls, rate and duration."""

from __future__ import annotations

import pytest

from tas.harness.load import LIMITS, LoadPlan


def test_load_plans_are_bounded() -> None:
    plan = LoadPlan(rate=100, concurrency=10, duration=2.5, talk=1.0)
    assert plan.planned_calls == 250
    assert plan.deadline == pytest.approx(2.5 + 1.0 + 40.0)
    for bad in (
        {"rate": 100, "concurrency": 10},  # neither calls nor duration
        {"rate": 100, "concurrency": 10, "calls": 5, "duration": 1.0},
        {"rate": 0, "concurrency": 10, "calls": 5},
        {"rate": LIMITS["rate"] + 1, "concurrency": 10, "calls": 5},
        {"rate": 10, "concurrency": 0, "calls": 5},
        {"rate": 10, "concurrency": 10, "calls": LIMITS["calls"] + 1},
        {"rate": 10, "concurrency": 10, "duration": LIMITS["duration"] + 1},
    ):
        with pytest.raises(ValueError):
            LoadPlan(**bad)
