"""Durable, idempotent storage of core events (SQLite or PostgreSQL).

:meth:`EventStore.save` inserts a batch in one transaction with ``ON CONFLICT (event_key) DO
NOTHING … RETURNING``: after it returns, every row of the batch is committed (new, or stored
before), which is the point where the consumer may ack. On PostgreSQL the batch is one
statement over ``unnest`` of one array per column, sent on the pooled connection's asyncpg
driver as a single implicit transaction: one round trip and one cached plan whatever the batch
size, without the BEGIN and COMMIT round trips and the ORM work per commit. On SQLite it is
one multi-row ``INSERT`` in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from tas.events.models import CoreEvent, EventRecord
from tas.store import Database

__all__ = ["EventStore"]

_TABLE = CoreEvent.__table__  # type: ignore[attr-defined]
_COLUMNS = [f.name for f in fields(EventRecord)]
if _COLUMNS != [c.name for c in _TABLE.columns if c.name != "id"]:
    raise RuntimeError("EventRecord must list the core_event columns but id, in table order")


def _unnest_insert() -> str:
    """INSERT … SELECT FROM unnest($1..$n, one array per column) ON CONFLICT DO NOTHING
    RETURNING event_key (asyncpg placeholders)."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    types = [_TABLE.c[name].type.compile(dialect=dialect) for name in _COLUMNS]
    arrays = ", ".join(f"${n}::{kind}[]" for n, kind in enumerate(types, start=1))
    columns = ", ".join(f'"{name}"' for name in _COLUMNS)
    return (
        f"INSERT INTO core_event ({columns}) SELECT * FROM unnest({arrays}) "
        "ON CONFLICT (event_key) DO NOTHING RETURNING event_key"
    )


class EventStore:
    """Writes for the consumer; reads for the correlator and ``tas calls``."""

    def __init__(self, db: Database) -> None:
        self.db = db
        dialect = db.engine.dialect.name
        if dialect == "sqlite":
            self._insert: Any = sqlite.insert
        elif dialect == "postgresql":
            self._insert = postgresql.insert
        else:
            raise ValueError(f"event store supports sqlite and postgresql, not {dialect}")
        table = CoreEvent.__table__  # type: ignore[attr-defined]
        self._unnest = _unnest_insert() if dialect == "postgresql" else None
        self._statement = (
            self._insert(table)
            .on_conflict_do_nothing(index_elements=["event_key"])
            .returning(table.c.event_key)
        )

    async def save(self, rows: Sequence[EventRecord]) -> list[bool]:
        """Store ``rows`` in one transaction; per row, True if new, False if already stored."""
        if not rows:
            return []
        first: dict[str, EventRecord] = {}
        for row in rows:
            first.setdefault(row.event_key, row)
        unique = list(first.values())
        if self._unnest is not None:
            inserted = await self._save_unnest(self._unnest, unique)
        else:
            params = [{name: getattr(row, name) for name in _COLUMNS} for row in unique]
            async with self.db.engine.begin() as conn:
                # executemany of one cached statement ("insertmanyvalues" with RETURNING)
                found = await conn.execute(self._statement, params)
                inserted = set(found.scalars())
        result = []
        for row in rows:
            result.append(row.event_key in inserted)
            inserted.discard(row.event_key)  # a second copy in the same batch is a duplicate
        return result

    async def _save_unnest(self, statement: str, rows: list[EventRecord]) -> set[str]:
        """One statement, committed when it returns; driver errors come out as DBAPIError."""
        arrays = [[getattr(row, name) for row in rows] for name in _COLUMNS]
        async with self.db.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            try:
                found = await driver.fetch(statement, *arrays)
            except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                raise DBAPIError(statement, None, exc) from exc
        return {record[0] for record in found}

    async def count(self) -> int:
        async with self.db.session() as session:
            return int((await session.exec(select(func.count()).select_from(CoreEvent))).one())

    async def between(self, since: datetime, until: datetime) -> list[CoreEvent]:
        """Events whose core timestamp is in [since, until], oldest first."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(CoreEvent)
                .where(col(CoreEvent.timestamp) >= since, col(CoreEvent.timestamp) <= until)
                .order_by(col(CoreEvent.timestamp), col(CoreEvent.sequence))
            )
            return list(rows)

    async def recent(self, limit: int = 200) -> list[CoreEvent]:
        """The newest ``limit`` events, oldest first."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(CoreEvent).order_by(col(CoreEvent.timestamp).desc()).limit(limit)
            )
            return list(reversed(list(rows)))
