"""The TAS's own record of each SIP call it saw, with timestamped milestones.

The call application writes one :class:`CallRecord` per incoming or outgoing leg and appends
:class:`CallMilestone` rows as things happen (INVITE received, 180 sent, answered, DTMF,
recording started/committed, BYE, …). The event correlator (tas/events/) joins these with the
operator core's VOICE_EVENT / VOICEMAIL_EVENT stream into one timeline per call.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Table, bindparam, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import Field, SQLModel, col, select, update

from tas.store import Database

__all__ = [
    "Outcome",
    "CallRecord",
    "CallRow",
    "CallMilestone",
    "CallRecordStore",
    "MilestoneRow",
]


class Outcome(enum.Enum):
    """Final outcome of a call as the timeline reports it."""

    IN_PROGRESS = "in-progress"
    ANSWERED_BY_HANDSET = "answered-by-handset"
    ANSWERED_BY_TAS = "answered-by-tas"
    FORWARDED = "forwarded"
    VOICEMAIL_LEFT = "voicemail-left"
    REJECTED = "rejected"
    ABANDONED = "abandoned"  # caller hung up / cancelled before anyone answered
    ANSWERED_ELSEWHERE = "answered-elsewhere"  # CANCEL with Reason SIP;cause=200 (RFC 3326)
    FAILED = "failed"


def utcnow() -> datetime:
    return datetime.now(UTC)


class CallRecord(SQLModel, table=True):
    __tablename__ = "call_record"

    id: int | None = Field(default=None, primary_key=True)
    sip_call_id: str = Field(index=True)
    session_id: str | None = Field(default=None, index=True)  # RFC 7989 Session-ID
    direction: str  # "in" (leg reached the TAS) or "out" (the TAS placed it)
    route: str | None = None  # route type in kebab case, when decoded
    caller: str | None = Field(default=None, index=True)  # E.164
    callee: str | None = Field(default=None, index=True)  # E.164 without MO/MT prefix
    subscriber: str | None = None  # our registered number on this leg
    action: str | None = None  # policy action taken
    outcome: str = Outcome.IN_PROGRESS.value
    status: int | None = None  # final SIP status we sent or received
    voicemail_id: str | None = None
    started: datetime = Field(default_factory=utcnow, index=True)
    answered: datetime | None = None
    ended: datetime | None = None


class CallMilestone(SQLModel, table=True):
    __tablename__ = "call_milestone"

    id: int | None = Field(default=None, primary_key=True)
    call_record_id: int = Field(foreign_key="call_record.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    kind: str  # e.g. "invite", "180", "answered", "dtmf", "recording", "bye", "cancel"
    detail: str = ""


@dataclass(slots=True, eq=False)
class CallRow:
    """A leg's ``call_record`` row while the call application holds it: the columns of
    :class:`CallRecord` on a plain object. Building a :class:`CallRecord` (pydantic defaults,
    ORM instance state) cost ~80 µs per leg and each change another ORM event, for a row that
    is only ever inserted with SQLAlchemy Core (issue 17); reads still return
    :class:`CallRecord`."""

    sip_call_id: str
    direction: str
    session_id: str | None = None
    route: str | None = None
    caller: str | None = None
    callee: str | None = None
    subscriber: str | None = None
    action: str | None = None
    outcome: str = Outcome.IN_PROGRESS.value
    status: int | None = None
    voicemail_id: str | None = None
    started: datetime = field(default_factory=utcnow)
    answered: datetime | None = None
    ended: datetime | None = None
    id: int | None = None

    def values(self) -> dict[str, object]:
        """The row's values by column, in the table's order, without the database's ``id``."""
        return {name: getattr(self, name) for name in _COLUMNS}


_RECORDS: Table = CallRecord.__table__  # type: ignore[attr-defined]
#: The columns a new record is inserted with (all but the database-assigned ``id``).
_COLUMNS = tuple(name for name in _RECORDS.columns.keys() if name != "id")
_INSERT_RECORDS = insert(_RECORDS).returning(_RECORDS.c.id, sort_by_parameter_order=True)
_INSERT_ROWS = insert(_RECORDS)
_LAST_ROWID = text("SELECT last_insert_rowid()")
_INSERT_MILESTONES = insert(CallMilestone.__table__)  # type: ignore[attr-defined]

#: A milestone to write: (its record, kind, detail, when); the record's id may be assigned in
#: the same batch.
MilestoneRow = tuple[CallRow, str, str, datetime]


async def _insert_sqlite(conn: AsyncConnection, opens: list[CallRow]) -> None:
    """Insert ``opens`` and give each its ``id`` on SQLite. SQLite returns RETURNING rows in no
    set order, so SQLAlchemy inserts them one by one when the order matters (a round trip to
    the driver thread each: most of a batch's cost, issue 17). One executemany inside our
    write transaction gives the rows consecutive rowids in order instead (each new rowid is
    one larger than the largest so far, https://sqlite.org/autoinc.html), the last of them
    being the connection's ``last_insert_rowid()``."""
    await conn.execute(_INSERT_ROWS, [r.values() for r in opens])
    last = (await conn.execute(_LAST_ROWID)).scalar_one()
    for record_id, record in enumerate(opens, start=last - len(opens) + 1):
        record.id = record_id


class CallRecordStore:
    """Append-only writes from the call application; reads for the correlator and CLI.

    ``window``: seconds :mod:`tas.calls.journal` gathers the legs' writes into one commit
    (0: one commit per loop pass)."""

    def __init__(self, db: Database, window: float = 0.1) -> None:
        self.db = db
        self.window = window
        self._sqlite = db.url.startswith("sqlite")

    async def open(self, record: CallRecord) -> CallRecord:
        async with self.db.session() as session:
            session.add(record)
            await session.commit()
            await session.refresh(record)
            return record

    async def milestone(
        self, record_id: int, kind: str, detail: str = "", at: datetime | None = None
    ) -> None:
        async with self.db.session() as session:
            session.add(
                CallMilestone(call_record_id=record_id, kind=kind, detail=detail, at=at or utcnow())
            )
            await session.commit()

    async def update(self, record_id: int, **fields: object) -> None:
        async with self.db.session() as session:
            record = await session.get(CallRecord, record_id)
            if record is None:
                raise KeyError(record_id)
            for name, value in fields.items():
                setattr(record, name, value)
            session.add(record)
            await session.commit()

    async def write_batch(
        self,
        opens: list[CallRow],
        milestones: list[MilestoneRow],
        updates: list[tuple[int, dict[str, object]]],
    ) -> None:
        """Many legs' writes in one transaction (one commit: the group commit of
        :mod:`tas.calls.journal`): insert ``opens`` (their current values; each gets its
        ``id``), then ``milestones`` (rows of records without an id are skipped), then
        ``updates`` by record id (merged per record, later values winning). SQLAlchemy Core
        executemany on the tables in one ``engine.begin()`` transaction: no ORM session,
        object or fresh compilation per row (the ORM paths were most of the writer's CPU in
        the issue 17 profile; the session per batch cost ~0.6-1 ms more)."""
        async with self.db.engine.begin() as conn:  # Core only: no ORM session per batch
            if opens and self._sqlite:
                await _insert_sqlite(conn, opens)
            elif opens:
                rows = [r.values() for r in opens]
                result = await conn.execute(_INSERT_RECORDS, rows)
                for record, record_id in zip(opens, result.scalars().all(), strict=True):
                    record.id = record_id
            values = [
                {"call_record_id": r.id, "kind": kind, "detail": detail, "at": at}
                for r, kind, detail, at in milestones
                if r.id is not None
            ]
            if values:
                await conn.execute(_INSERT_MILESTONES, values)
            merged: dict[int, dict[str, object]] = {}
            for record_id, fields in updates:
                merged.setdefault(record_id, {}).update(fields)
            by_columns: dict[tuple[str, ...], list[dict[str, object]]] = {}
            for record_id, fields in merged.items():
                params = {f"v_{name}": value for name, value in fields.items()}
                params["v_id"] = record_id
                by_columns.setdefault(tuple(sorted(fields)), []).append(params)
            for names, params_list in by_columns.items():
                statement = (
                    update(_RECORDS)
                    .where(_RECORDS.c.id == bindparam("v_id"))
                    .values({name: bindparam(f"v_{name}") for name in names})
                )
                await conn.execute(statement, params_list)

    async def get(self, record_id: int) -> CallRecord | None:
        async with self.db.session() as session:
            return await session.get(CallRecord, record_id)

    async def milestones(self, record_id: int) -> list[CallMilestone]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(CallMilestone)
                .where(CallMilestone.call_record_id == record_id)
                .order_by(col(CallMilestone.at), col(CallMilestone.id))
            )
            return list(rows)

    async def recent(self, limit: int = 50) -> list[CallRecord]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(CallRecord).order_by(col(CallRecord.started).desc()).limit(limit)
            )
            return list(rows)
