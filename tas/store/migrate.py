"""Schema migrations (alembic) that any number of replicas can run at the same instant.

:func:`upgrade` brings a database to this release's head revision under a lock: on PostgreSQL
a session advisory lock (``pg_advisory_lock``) held on the migrating connection, on SQLite an
exclusive ``flock`` on ``<database>.migrate-lock``. The first replica migrates; the others wait,
then find the schema current and do nothing.

A database made before migrations existed (``create_all``: the tables of revision 0001, no
``alembic_version``) is stamped 0001 and upgraded with its rows. A database at a revision this
release does not know (made by a newer release) is refused with :class:`SchemaTooNewError`:
running old code on a newer schema would corrupt it.

Revisions live in ``tas/store/migrations/versions``; write the next one with
``alembic -x … revision --autogenerate`` against :func:`all_metadata` (see the README).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, MetaData, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

if TYPE_CHECKING:
    from tas.store.db import Database

__all__ = [
    "MIGRATIONS",
    "Revision",
    "SchemaTooNewError",
    "all_metadata",
    "current",
    "head",
    "history",
    "upgrade",
]

MIGRATIONS = Path(__file__).parent / "migrations"

#: ``pg_advisory_lock`` key of schema migrations (any constant unique to this application).
LOCK_KEY = 0x7A5_0001

#: Tables of revision 0001: present without ``alembic_version`` means "made by create_all".
_LEGACY_TABLES = ("breakout_registration", "call_record", "voicemail_message")


class SchemaTooNewError(RuntimeError):
    """The database is at a revision this release does not know."""


@dataclass(frozen=True, slots=True)
class Revision:
    revision: str
    down_revision: str | None
    doc: str


def all_metadata() -> MetaData:
    """Every table of the project (the owning modules register them on import)."""
    from sqlmodel import SQLModel

    import registrations.store  # noqa: F401
    import tas.calls.policy_store  # noqa: F401
    import tas.calls.records  # noqa: F401
    import tas.calls.rules_store  # noqa: F401
    import tas.events.models  # noqa: F401
    import tas.store.changes  # noqa: F401
    import tas.voicemail.models  # noqa: F401
    import tas.voicemail.notify_models  # noqa: F401
    import tas.voicemail.pin_store  # noqa: F401
    import tas.voicemail.transcript_models  # noqa: F401

    return SQLModel.metadata


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this release knows."""
    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None
    return found


def history() -> list[Revision]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(_config())
    revisions = list(script.walk_revisions())
    revisions.reverse()
    return [
        Revision(
            r.revision,
            r.down_revision if isinstance(r.down_revision, str) else None,
            (r.doc or "").strip().splitlines()[0] if r.doc else "",
        )
        for r in revisions
    ]


async def current(db: Database) -> str | None:
    """The database's revision (None: empty, or made before migrations)."""
    async with db.engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


async def upgrade(db: Database, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate to ``revision`` under the lock; returns (revision before, revision after)."""
    async with _locked(db) as conn:
        result = await conn.run_sync(_upgrade, revision)
        await conn.commit()
        return result


def _upgrade(conn: Connection, revision: str) -> tuple[str | None, str | None]:
    config = _config(conn)
    before = MigrationContext.configure(conn).get_current_revision()
    if before is not None:
        try:
            ScriptDirectory.from_config(config).get_revision(before)
        except CommandError:
            raise SchemaTooNewError(
                f"the database schema is at revision {before}, newer than this release knows "
                f"(head {head()}): upgrade tas before starting it on this database"
            ) from None
    elif any(inspect(conn).has_table(name) for name in _LEGACY_TABLES):
        command.stamp(config, "0001")
    command.upgrade(config, revision)
    return before, MigrationContext.configure(conn).get_current_revision()


@contextlib.asynccontextmanager
async def _locked(db: Database) -> AsyncIterator[AsyncConnection]:
    if db.url.startswith("postgresql"):
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
            await conn.commit()
            try:
                yield conn
            finally:
                await conn.rollback()
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                await conn.commit()
        return
    path = _sqlite_path(db.url)
    if path is None:  # in memory: one process by definition
        async with db.engine.connect() as conn:
            yield conn
        return
    fd = os.open(f"{path}.migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        async with db.engine.connect() as conn:
            yield conn
    finally:
        os.close(fd)  # releases the flock


def _sqlite_path(url: str) -> str | None:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    return path if path and path != ":memory:" else None
