"""The call directory against real SQL (issue #10 item 3, "no I/O on the INVITE hot path"):

* a write by another engine on the same database (another replica) and ``tas policy set`` in
  another process reach a running directory within the poll interval (SQLite and PostgreSQL);
* with the database unreachable, a registered number is served from the last known state for
  ``max_stale`` seconds, then its INVITE gets 503 + Retry-After, not the default policy; the
  outage is logged once, and calls are served again when the database is back;
* a directory that never loaded refuses every leg;
* 100 INVITEs execute no registration/policy SQL at all.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import event

from registrations.model import Registration, Route
from registrations.store import RegistrationStore
from tas.calls.directory import Directory, DirectoryOptions, Health
from tas.calls.directory_sync import DirectorySync
from tas.calls.policy import Action, Policy
from tas.calls.policy_store import PolicyStore
from tas.calls.sources import DirectoryUnavailable
from tas.server import TasServer
from tas.store import Database
from tas.store.changes import StoreChangeRow
from tests.integration.calls.calls_helpers import (
    CALLER,
    OTHER,
    SUBSCRIBER,
    register,
    server_settings,
)
from tests.integration.calls.directory_helpers import Proxy, invite, postgres_database

URI = "sips:tas.example.com"
POLL = 0.25


@dataclass
class Store:
    """A database for one test and how to make it fail for the TAS."""

    kind: str
    url: str  # what the TAS uses
    direct_url: str  # what other writers use
    proxy: Proxy | None = None
    sqlite_path: Path | None = None

    async def break_(self) -> None:
        if self.proxy is not None:
            await self.proxy.cut()
        else:  # SQLite cannot be unplugged: drop the table every poll reads instead
            assert self.sqlite_path is not None
            with sqlite3.connect(self.sqlite_path) as conn:
                conn.execute("DROP TABLE store_change")

    async def repair(self) -> None:
        if self.proxy is not None:
            await self.proxy.restore()
        else:  # the schema says 0002 is applied: put the dropped table back as it was
            db = Database(self.direct_url)
            async with db.engine.begin() as conn:
                await conn.run_sync(StoreChangeRow.__table__.create)  # type: ignore[attr-defined]
            await db.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        path = tmp_path / "data" / "tas.db"
        url = f"sqlite+aiosqlite:///{path}"
        yield Store("sqlite", url, url, sqlite_path=path)
        return
    async with postgres_database() as name:
        proxy = Proxy(("127.0.0.1", 5432))
        port = await proxy.start()
        yield Store(
            "postgres",
            f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{name}",
            f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}",
            proxy,
        )
        await proxy.cut()


async def within(seconds: float, check: Callable[[], bool]) -> float:
    """Wait until ``check()``; returns how long it took (AssertionError after ``seconds``)."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > seconds:
            raise AssertionError(f"not seen within {seconds} s")
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def test_writes_by_another_engine_are_seen_within_the_poll_interval(store: Store) -> None:
    ours, theirs = Database(store.url), Database(store.direct_url)  # theirs: another replica
    await ours.migrate()
    directory = Directory(options=DirectoryOptions(poll_interval=POLL, max_stale=10.0))
    sync = DirectorySync(ours, directory)
    await sync.start()
    try:
        assert directory.health() is Health.FRESH and directory.find(SUBSCRIBER, CALLER) is None
        await PolicyStore(theirs).put(Policy(SUBSCRIBER, Action.REJECT, status=603))
        took = await within(POLL + 1.0, lambda: bool(directory.policies_for(SUBSCRIBER)))
        reg = Registration(SUBSCRIBER, Route.LOOP, URI)
        await RegistrationStore(theirs).set_desired(SUBSCRIBER, reg, time.time())
        took_reg = await within(POLL + 1.0, lambda: directory.find(SUBSCRIBER, CALLER) is not None)
        print(f"\n{store.kind}: policy seen after {took * 1000:.0f} ms, "
              f"registration after {took_reg * 1000:.0f} ms (poll {POLL * 1000:.0f} ms)")  # fmt: skip
        await RegistrationStore(theirs).set_desired(SUBSCRIBER, None, time.time())
        await PolicyStore(theirs).delete(SUBSCRIBER)
        await within(POLL + 1.0, lambda: directory.find(SUBSCRIBER, CALLER) is None)
        await within(POLL + 1.0, lambda: not directory.policies_for(SUBSCRIBER))
        # our own process's writes need no poll at all
        await PolicyStore(ours).put(Policy(SUBSCRIBER, Action.VOICEMAIL))
        assert [p.action for p in directory.policies_for(SUBSCRIBER)] == [Action.VOICEMAIL]
    finally:
        await sync.stop()
        await ours.close()
        await theirs.close()


@pytest.mark.postgres
async def test_postgres_notify_wakes_the_directory_long_before_the_poll() -> None:
    async with postgres_database() as name:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
        ours, theirs = Database(url), Database(url)
        await ours.migrate()
        directory = Directory(options=DirectoryOptions(poll_interval=30.0, max_stale=600.0))
        sync = DirectorySync(ours, directory)
        await sync.start()
        try:
            await asyncio.sleep(0.5)  # LISTEN established
            await PolicyStore(theirs).put(Policy(SUBSCRIBER, Action.REJECT, status=603))
            took = await within(2.0, lambda: bool(directory.policies_for(SUBSCRIBER)))
            print(f"\npostgres NOTIFY: seen after {took * 1000:.0f} ms (poll every 30 s)")
        finally:
            await sync.stop()
            await ours.close()
            await theirs.close()


async def test_a_local_write_during_a_reload_is_not_undone(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tas.db'}"
    ours, theirs = Database(url), Database(url)
    await ours.migrate()
    directory = Directory(options=DirectoryOptions(poll_interval=60.0, max_stale=600.0))
    sync = DirectorySync(ours, directory)
    await sync.start()
    read_all = sync.policies.all

    async def read_then_local_write() -> list[Policy]:
        rows = await read_all()  # the rows as they were before the write below
        await PolicyStore(ours).put(Policy(SUBSCRIBER, Action.VOICEMAIL))
        return rows

    try:
        await PolicyStore(theirs).put(Policy(OTHER, Action.ANSWER))  # makes the poll reload
        sync.policies.all = read_then_local_write  # type: ignore[method-assign]
        assert await sync.poll()
        assert directory.policies_for(SUBSCRIBER)  # our write survives the stale reload
        sync.policies.all = read_all  # type: ignore[method-assign]
        assert await sync.poll()
        assert directory.policies_for(SUBSCRIBER) and directory.policies_for(OTHER)
    finally:
        await sync.stop()
        await ours.close()
        await theirs.close()


async def test_tas_policy_set_in_another_process_is_picked_up(store: Store, tmp_path: Path) -> None:
    db = Database(store.url)
    await db.migrate()
    directory = Directory(options=DirectoryOptions(poll_interval=POLL, max_stale=10.0))
    sync = DirectorySync(db, directory)
    await sync.start()
    env = dict(os.environ, TAS_DATA_DIR=str(tmp_path / "cli"), TAS_DATABASE__URL=store.direct_url)
    env.pop("TAS_CONFIG", None)
    try:
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "tas", "policy", "set", SUBSCRIBER, "--action", "reject",
             "--status", "607"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        await within(POLL + 1.0, lambda: bool(directory.policies_for(SUBSCRIBER)))
        (policy,) = directory.policies_for(SUBSCRIBER)
        assert (policy.action, policy.status) == (Action.REJECT, 607)
    finally:
        await sync.stop()
        await db.close()


async def test_a_directory_that_never_loaded_refuses_legs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    db = Database("postgresql+asyncpg://postgres@127.0.0.1:1/none")  # nothing listens there
    directory = Directory(options=DirectoryOptions(poll_interval=POLL, max_stale=10.0))
    sync = DirectorySync(db, directory, listen=False)
    await sync.start()  # does not raise
    try:
        await asyncio.sleep(POLL * 3)
        assert directory.health() is Health.UNAVAILABLE
        with pytest.raises(DirectoryUnavailable):
            directory.find(SUBSCRIBER, CALLER)
        assert directory.stats.store_failures >= 2
        lines = [r for r in caplog.records if "directory_store_unavailable" in r.getMessage()]
        assert len(lines) == 1 and not lines[0].exc_info
    finally:
        await sync.stop()
        await db.close()


async def _server(store: Store, tmp_path: Path, poll: float, max_stale: float) -> TasServer:
    settings = server_settings(tmp_path / "data")
    settings.database.url = store.url
    settings.database.poll_interval = poll
    settings.database.max_stale = max_stale
    settings.database.retry_after = 42
    server = TasServer(settings)
    await server.start()
    return server


def _udp(server: TasServer) -> tuple[str, int]:
    host, port = server.stack.local["UDP"]
    return host, port


async def test_outage_is_served_stale_then_503_with_retry_after_then_recovers(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tas.calls.directory")
    server = await _server(store, tmp_path, poll=0.2, max_stale=1.5)
    try:
        await register(server, SUBSCRIBER, Route.LOOP)
        await server.app.policies.put(Policy(SUBSCRIBER, Action.REJECT, status=603))
        assert (await invite(_udp(server), SUBSCRIBER, CALLER)).status == 603

        await store.break_()
        await within(5.0, lambda: server.directory.health() is Health.STALE)
        assert (await invite(_udp(server), SUBSCRIBER, CALLER)).status == 603  # last known

        await within(5.0, lambda: server.directory.health() is Health.UNAVAILABLE)
        answers = [await invite(_udp(server), SUBSCRIBER, CALLER) for _ in range(20)]
        assert {a.status for a in answers} == {503}  # not the default LOOP forward
        assert answers[0].header("Retry-After") == "42"
        assert server.directory.stats.refused == 20

        await store.repair()
        await within(10.0, lambda: server.directory.health() is Health.FRESH)
        assert (await invite(_udp(server), SUBSCRIBER, CALLER)).status == 603
    finally:
        await server.stop(grace=1.0)
    messages = [r.getMessage() for r in caplog.records if r.name == "tas.calls.directory"]
    for event_name in ("directory_store_unavailable", "directory_expired", "legs_refused"):
        assert sum(f"event={event_name}" in m for m in messages) == 1, (event_name, messages)
    assert sum("event=directory_recovered" in m for m in messages) == 1
    assert not [r for r in caplog.records if r.exc_info and r.name.startswith("tas.calls")]
    journal = [r for r in caplog.records if r.name == "tas.calls.journal" and r.levelno >= 40]
    assert len(journal) <= 1  # call records that could not be written: one line per outage


async def test_no_registration_or_policy_sql_per_invite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'tas.db'}"
    server = await _server(Store("sqlite", url, url), tmp_path, poll=60.0, max_stale=600.0)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    try:
        await register(server, SUBSCRIBER, Route.LOOP)
        await server.app.policies.put(Policy(SUBSCRIBER, Action.REJECT, status=486))
        if server.refresher is not None:  # its own hourly schedule reads the table: not a call
            await server.refresher.stop()
        event.listen(server.db.engine.sync_engine, "before_cursor_execute", count)
        start = time.perf_counter()
        answers = [await invite(_udp(server), SUBSCRIBER, CALLER) for _ in range(100)]
        took = time.perf_counter() - start
        await asyncio.wait_for(server.app.idle.wait(), 10.0)
        event.remove(server.db.engine.sync_engine, "before_cursor_execute", count)
    finally:
        await server.stop(grace=1.0)
    assert {a.status for a in answers} == {486}
    lookups = [s for s in statements if any(
        table in s for table in ("breakout_registration", "call_policy", "store_change")
    )]  # fmt: skip
    assert lookups == []
    others = {
        s.split()[0] + " " + ("call_record" if "call_record" in s else "?") for s in statements
    }
    print(
        f"\n100 INVITEs in {took:.2f} s; {len(statements)} statements, all call records: {others}"
    )
    # beside the call records only the readiness probe's periodic ``SELECT 1`` (tas.health)
    probes = [s for s in statements if s.strip().upper() == "SELECT 1"]
    # SQLite: a batch's new ids come from ``last_insert_rowid()`` (tas.calls.records)
    records = ("call_record", "call_milestone", "last_insert_rowid()")
    assert all(any(r in s for r in records) for s in statements if s not in probes)
