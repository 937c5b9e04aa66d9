"""Durable, idempotent storage of core events (SQLite or PostgreSQL).

:meth:`EventStore.save` inserts a batch in one transaction with ``ON CONFLICT (event_key) DO
NOTHING … RETURNING``: after it returns, every row of the batch is committed (new, or stored
before), which is the point where the consumer may ack.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from tas.events.models import CoreEvent
from tas.store import Database

__all__ = ["EventStore"]

_COLUMNS = [c.name for c in CoreEvent.__table__.columns if c.name != "id"]  # type: ignore[attr-defined]


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
        self._statement = (
            self._insert(table)
            .on_conflict_do_nothing(index_elements=["event_key"])
            .returning(table.c.event_key)
        )

    async def save(self, rows: Sequence[CoreEvent]) -> list[bool]:
        """Store ``rows`` in one transaction; per row, True if new, False if already stored."""
        if not rows:
            return []
        unique: dict[str, dict[str, Any]] = {}
        for row in rows:
            unique.setdefault(row.event_key, {name: getattr(row, name) for name in _COLUMNS})
        async with self.db.engine.begin() as conn:
            # executemany of one cached statement ("insertmanyvalues" batches it with RETURNING)
            found = await conn.execute(self._statement, list(unique.values()))
            inserted = set(found.scalars())
        result = []
        for row in rows:
            result.append(row.event_key in inserted)
            inserted.discard(row.event_key)  # a second copy in the same batch is a duplicate
        return result

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
