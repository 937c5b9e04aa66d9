"""Change markers: how readers that hold tables in memory learn that a writer changed them.

Two channels, both typed:

* across processes and replicas: the ``store_change`` table holds one counter per
  :class:`Topic`; every writer bumps it in the same transaction as its write (:func:`bump`), a
  reader polls all counters with one cheap query (:func:`read_versions`). On PostgreSQL the
  bump also sends ``NOTIFY tas_store_change`` so a listener need not wait for its next poll.
* inside one process: :class:`ChangeFeed` (one per :class:`~tas.store.Database`) hands the
  committed change itself (a :class:`Change` subclass declared by the owning store) to
  subscribers synchronously, so an in-process write is visible at once.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tas.logs import log_event

__all__ = [
    "NOTIFY_CHANNEL",
    "Change",
    "ChangeFeed",
    "StoreChangeRow",
    "Topic",
    "Versions",
    "bump",
    "read_versions",
]

log = logging.getLogger(__name__)

#: PostgreSQL ``LISTEN`` channel; the payload is the :class:`Topic` value.
NOTIFY_CHANNEL = "tas_store_change"


class Topic(enum.Enum):
    """A set of rows readers cache as a whole."""

    REGISTRATIONS = "registrations"
    POLICIES = "policies"
    RULES = "rules"  # call rules (tas.calls.rules_store)


#: The counter of every topic (0 for a topic never written).
Versions = Mapping[Topic, int]


class StoreChangeRow(SQLModel, table=True):
    """Table ``store_change``: one monotonically increasing counter per topic."""

    __tablename__ = "store_change"

    topic: str = Field(primary_key=True, max_length=32)
    version: int = 0


async def bump(session: AsyncSession, topic: Topic) -> None:
    """Increment ``topic``'s counter inside the caller's transaction (commit is the caller's).

    One ``INSERT … ON CONFLICT DO UPDATE`` (SQLite ≥ 3.24, PostgreSQL), so concurrent writers
    never lose an increment; on PostgreSQL also ``pg_notify`` (delivered at commit)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    await session.exec(  # type: ignore[call-overload]
        text(
            "INSERT INTO store_change (topic, version) VALUES (:topic, 1) "
            "ON CONFLICT (topic) DO UPDATE SET version = store_change.version + 1"
        ),
        params={"topic": topic.value},
    )
    if dialect == "postgresql":
        await session.exec(  # type: ignore[call-overload]
            text("SELECT pg_notify(:channel, :topic)"),
            params={"channel": NOTIFY_CHANNEL, "topic": topic.value},
        )


async def read_versions(session: AsyncSession) -> dict[Topic, int]:
    """Every topic's counter: one ``SELECT`` over a table of at most a few rows."""
    versions = dict.fromkeys(Topic, 0)
    known = {t.value: t for t in Topic}
    for row in await session.exec(select(StoreChangeRow)):
        if (topic := known.get(row.topic)) is not None:
            versions[topic] = row.version
    return versions


@dataclass(frozen=True, slots=True)
class Change:
    """A committed write; the owning store declares subclasses carrying what was written."""

    topic: Topic


class ChangeFeed:
    """In-process subscribers of committed writes, called synchronously in order."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[[Change], None]] = []

    def subscribe(self, subscriber: Callable[[Change], None]) -> Callable[[], None]:
        """Add ``subscriber``; returns the function that removes it again."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def publish(self, change: Change) -> None:
        """Tell every subscriber; one that raises is logged and does not stop the others."""
        for subscriber in list(self._subscribers):
            try:
                subscriber(change)
            except Exception:
                log_event(
                    log,
                    "change_subscriber_failed",
                    level=logging.ERROR,
                    exc_info=True,
                    topic=change.topic.value,
                )
