"""Keeping the call directory current from SQL (issue #10, "no I/O on the INVITE hot path").

:class:`DirectorySync` owns all the directory's I/O, off the call path:

1. :meth:`~DirectorySync.start` subscribes :meth:`Directory.apply
   <tas.calls.directory.Directory.apply>` to the database's in-process change feed (writes of
   this process are seen the moment they commit), loads both tables, and starts the poller.
2. The poller reads the ``store_change`` counters (:func:`tas.store.changes.read_versions`,
   one small query) every ``poll_interval`` seconds and reloads a table whose counter moved:
   this is how ``tas policy``/``tas register`` in another process and other replicas on the
   same PostgreSQL reach us. On PostgreSQL it also ``LISTEN``\\ s on
   :data:`~tas.store.changes.NOTIFY_CHANNEL` and polls at once when notified.
3. A failed query is reported to :meth:`Directory.failed
   <tas.calls.directory.Directory.failed>` (logged once per outage there); the next success to
   :meth:`~tas.calls.directory.Directory.confirmed`. The counters are read *before* the tables,
   so a write racing a reload is picked up by the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from registrations.store import RegistrationStore, routable
from tas.calls.directory import Directory
from tas.calls.policy_store import PolicyStore
from tas.calls.rules_store import RuleStore
from tas.logs import log_event
from tas.store import Database
from tas.store.changes import NOTIFY_CHANNEL, Change, Topic, read_versions

__all__ = ["DirectorySync"]

log = logging.getLogger(__name__)


class DirectorySync:
    """``await start()`` (never raises for a store failure), ``await stop()``."""

    def __init__(self, db: Database, directory: Directory, *, listen: bool = True) -> None:
        self.db = db
        self.directory = directory
        self.listen = listen and db.engine.dialect.name == "postgresql"
        #: seconds one poll may take before it counts as a store failure
        self.timeout = max(5.0, 2 * directory.options.poll_interval)
        self.registrations = RegistrationStore(db)
        self.policies = PolicyStore(db)
        self.rules = RuleStore(db)
        self.versions: dict[Topic, int | None] = dict.fromkeys(Topic)  # None: never loaded
        self._local: dict[Topic, int] = dict.fromkeys(Topic, 0)  # in-process writes seen
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: Callable[[], None] | None = None

    async def start(self) -> None:
        """Follow in-process writes, load once (a failure is logged; the poller retries),
        then poll (and listen) in the background."""
        self._unsubscribe = self.db.changes.subscribe(self._applied)
        await self.poll()
        self._tasks.append(asyncio.create_task(self._poll_forever()))
        if self.listen:
            self._tasks.append(asyncio.create_task(self._listen_forever()))

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def poll(self) -> bool:
        """Read the counters, reload what moved; True when the store answered (within
        :attr:`timeout` seconds: a hung connection attempt counts as a failure)."""
        try:
            await asyncio.wait_for(self._reload_changed(), self.timeout)
        except Exception as exc:  # any store failure: the directory decides what it means
            self.directory.failed(exc)
            return False
        self.directory.confirmed()
        return True

    def _applied(self, change: Change) -> None:
        """An in-process write: into the directory now (and remembered, see below)."""
        self._local[change.topic] += 1
        self.directory.apply(change)

    async def _reload_changed(self) -> None:
        async with self.db.session() as session:
            versions = await read_versions(session)
        for topic in Topic:
            if versions[topic] == self.versions[topic]:
                continue
            local = self._local[topic]
            install = await self._read(topic)
            if self._local[topic] != local:  # a write of ours landed while we read: our
                continue  # rows may predate it; keep the newer state, reload next poll
            install()
            self.versions[topic] = versions[topic]

    async def _read(self, topic: Topic) -> Callable[[], None]:
        """Read one whole table; returns how to put it into the directory."""
        if topic is Topic.REGISTRATIONS:
            entries = await self.registrations.entries()
            regs = [reg for e in entries if (reg := routable(e)) is not None]
            return lambda: self.directory.replace_registrations(regs)
        if topic is Topic.RULES:
            rules = await self.rules.all()
            return lambda: self.directory.replace_rules(rules)
        policies = await self.policies.all()
        return lambda: self.directory.replace_policies(policies)

    def wake(self) -> None:
        """Poll now (a ``NOTIFY`` arrived)."""
        self._wake.set()

    async def _poll_forever(self) -> None:
        interval = self.directory.options.poll_interval
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)
            self._wake.clear()
            await self.poll()

    async def _listen_forever(self) -> None:
        """PostgreSQL ``LISTEN`` on a connection of its own; re-established after a failure
        (the poller keeps the directory current meanwhile)."""
        interval = self.directory.options.poll_interval
        warned = False
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not warned:
                    log_event(
                        log,
                        "directory_listen_failed",
                        level=logging.WARNING,
                        error=exc,
                        effect="polling only",
                    )
                    warned = True
            await asyncio.sleep(interval)

    async def _listen_once(self) -> None:
        async with self.db.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection  # asyncpg.Connection
            lost = asyncio.Event()

            def notified(*_args: object) -> None:
                self._wake.set()

            driver.add_termination_listener(lambda *_args: lost.set())
            await driver.add_listener(NOTIFY_CHANNEL, notified)
            log_event(log, "directory_listening", level=logging.DEBUG, channel=NOTIFY_CHANNEL)
            self._wake.set()  # catch anything written before LISTEN took effect
            try:
                await lost.wait()
            finally:
                with contextlib.suppress(Exception):
                    await driver.remove_listener(NOTIFY_CHANNEL, notified)
