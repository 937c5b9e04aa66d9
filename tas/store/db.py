"""Engine and session factory shared by every store (registrations, calls, voicemail, events).

Tables are sqlmodel classes declared in the module that owns them; the schema itself is made
and changed by alembic revisions (:mod:`tas.store.migrate`) on SQLite or PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from tas.store.changes import ChangeFeed


class Database:
    """One async engine plus a session factory, and the in-process :attr:`changes` feed that
    every store writing through this database publishes its committed writes to."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        if url.startswith("sqlite"):
            _ensure_sqlite_dir(url)
        self.engine: AsyncEngine = create_async_engine(url, echo=echo)
        if url.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.changes = ChangeFeed()
        self._migrated = False
        self._migrate_lock = asyncio.Lock()
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    async def migrate(self) -> None:
        """Bring the schema to this release's head revision (alembic, under a lock that
        replicas share: :mod:`tas.store.migrate`); once per Database, later calls are free."""
        if self._migrated:
            return
        from tas.store.migrate import upgrade

        async with self._migrate_lock:
            if not self._migrated:
                await upgrade(self)
                self._migrated = True

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def close(self) -> None:
        await self.engine.dispose()


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # WAL + synchronous=NORMAL: committed rows survive a process crash (not a power cut).
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
