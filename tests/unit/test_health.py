"""``/healthz`` and ``/readyz`` (tas.health): the checks on a virtual clock (the routes:
tests/unit/admin/test_app.py)."""

from __future__ import annotations

import asyncio

from tas.health import Health


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_liveness_follows_the_heartbeat() -> None:
    clock = Clock()
    health = Health(stale_after=5.0, clock=clock)
    assert health.liveness() == (True, {"event_loop": "ok"})
    clock.now = 6.0
    ok, checks = health.liveness()
    assert not ok and checks["event_loop"] == "no heartbeat for 6.0 s"


def test_readiness_names_every_failing_check() -> None:
    clock = Clock()
    health = Health(clock=clock)
    state = {"sip": None, "dir": "call directory unavailable"}
    health.add_check("sip_listeners", lambda: state["sip"])
    health.add_check("directory", lambda: state["dir"])
    ok, checks = health.readiness()
    assert not ok and checks == {
        "event_loop": "ok",
        "sip_listeners": "ok",
        "directory": "call directory unavailable",
        "draining": "ok",
    }
    state["dir"] = None
    assert health.readiness()[0]
    health.draining = True
    ok, checks = health.readiness()
    assert not ok and checks["draining"] == "draining"


async def test_probe_and_heartbeat_run_on_the_loop() -> None:
    health = Health(beat=0.01, stale_after=0.1)
    up = [True]

    async def ping() -> None:
        if not up[0]:
            raise ConnectionError("database down")

    health.add_probe("database", ping)
    assert health.readiness()[1]["database"] == "not probed yet"
    health.start()
    try:
        await asyncio.sleep(0.05)
        assert health.readiness() == (
            True,
            {"event_loop": "ok", "database": "ok", "draining": "ok"},
        )
        up[0] = False
        await asyncio.sleep(0.02)
        assert health.readiness()[0]  # one failure within stale_after does not flip it
        await asyncio.sleep(0.15)
        ok, checks = health.readiness()
        assert not ok and checks["database"] == "ConnectionError: database down"
    finally:
        await health.stop()
