"""``/healthz`` and ``/readyz`` of ``tas serve``, served beside ``/metrics`` (issue 14).

* ``/healthz`` (liveness): the process is up and its event loop is responsive, i.e. the
  heartbeat the loop stamps every ``beat`` seconds is younger than ``stale_after``.
* ``/readyz`` (readiness): live, and every readiness check passes - SIP listeners bound, the
  database answered a ``SELECT 1`` within ``stale_after``, the call directory is loaded and
  fresh - and the server is not draining (:mod:`tas.drain`).

Both answer 200 or 503 with a JSON body ``{"status": "ok"|"fail", "checks": {name: "ok" |
reason}}`` (routes in :mod:`tas.admin.routes_ops`, served in the server's event loop).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

__all__ = ["Health", "watch_server"]

Check = Callable[[], str | None]  # None: ok, else the reason it fails


class Health:
    """Liveness heartbeat, readiness checks and the draining flag of one server."""

    def __init__(
        self,
        *,
        beat: float = 1.0,
        stale_after: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.beat = beat
        self.stale_after = stale_after
        self.clock = clock
        self.draining = False
        self.last_beat = clock()
        self._checks: dict[str, Check] = {}
        self._probes: dict[str, float | None] = {}  # name -> last success (clock)
        self._probe_errors: dict[str, str] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def add_check(self, name: str, check: Check) -> None:
        """A readiness check run at request time (from the HTTP thread: read only)."""
        self._checks[name] = check

    def add_probe(self, name: str, probe: Callable[[], Awaitable[object]]) -> None:
        """A readiness check run on the loop every ``beat`` s (e.g. a database ping); ready
        while its last success is younger than ``stale_after``. Starts with :meth:`start`."""
        self._probes[name] = None
        self._probe_errors[name] = "not probed yet"
        self._tasks.append(asyncio.create_task(self._probe(name, probe)))

    def start(self) -> None:
        """Stamp the heartbeat from the running loop every ``beat`` seconds."""
        self._tasks.append(asyncio.create_task(self._heartbeat()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _heartbeat(self) -> None:
        while True:
            self.last_beat = self.clock()
            await asyncio.sleep(self.beat)

    async def _probe(self, name: str, probe: Callable[[], Awaitable[object]]) -> None:
        while True:
            try:
                await asyncio.wait_for(probe(), self.stale_after)
            except Exception as exc:  # any failure is the reason shown
                self._probe_errors[name] = f"{type(exc).__name__}: {exc}"[:200]
            else:
                self._probes[name] = self.clock()
                self._probe_errors.pop(name, None)
            await asyncio.sleep(self.beat)

    def liveness(self) -> tuple[bool, dict[str, str]]:
        age = self.clock() - self.last_beat
        ok = age < self.stale_after
        return ok, {"event_loop": "ok" if ok else f"no heartbeat for {age:.1f} s"}

    def readiness(self) -> tuple[bool, dict[str, str]]:
        ok, checks = self.liveness()
        now = self.clock()
        for name, last in list(self._probes.items()):
            if last is not None and now - last < self.stale_after:
                checks[name] = "ok"
            elif name in self._probe_errors:
                checks[name] = self._probe_errors[name]
            else:
                checks[name] = f"no success for {now - (last or now):.1f} s"
        for name, check in list(self._checks.items()):
            try:
                reason = check()
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
            checks[name] = reason or "ok"
        checks["draining"] = "draining" if self.draining else "ok"
        return all(v == "ok" for v in checks.values()), checks


def watch_server(health: Health, db: Any, directory: Any, listening: Callable[[], bool]) -> None:
    """The readiness checks of ``tas serve`` on ``health``, then start its heartbeat:
    SIP listeners bound (``listening``), the database (a ``tas.store.Database``) answers
    ``SELECT 1``, the call directory (``tas.calls.directory.Directory``) is fresh."""
    from sqlalchemy import text

    from tas.calls.directory import Health as DirectoryHealth

    async def ping() -> None:
        async with db.engine.connect() as connection:  # plain SQLAlchemy: one pooled connection
            await connection.execute(text("SELECT 1"))

    def listeners() -> str | None:
        return None if listening() else "SIP listeners not bound"

    def fresh() -> str | None:
        state = directory.health()
        return None if state is DirectoryHealth.FRESH else f"call directory {state.value}"

    health.add_check("sip_listeners", listeners)
    health.add_probe("database", ping)
    health.add_check("directory", fresh)
    health.start()
