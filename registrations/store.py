"""Desired and registered state per phone number, in SQL (sqlmodel; SQLite or PostgreSQL).

One row per phone number holds a :class:`~registrations.schedule.Entry`: the registration we
want, the one the operator last accepted, the refresh/expiry/retry times and the last error.

Every :meth:`RegistrationStore.save` bumps the :attr:`~tas.store.changes.Topic.REGISTRATIONS`
change counter in its transaction and, once committed, publishes :class:`EntrySaved` on the
database's in-process feed: readers that hold registrations in memory (the call directory)
stay current without a query per call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Field, SQLModel, col, select

from registrations.model import Registration, Route
from registrations.schedule import Entry, is_finished, with_desired
from tas.store import Database
from tas.store.changes import Change, Topic, bump

__all__ = ["EntrySaved", "RegistrationRow", "RegistrationStore", "routable"]


class RegistrationRow(SQLModel, table=True):
    """Table ``breakout_registration``; times are seconds since the epoch."""

    __tablename__ = "breakout_registration"

    phone_number: str = Field(primary_key=True, max_length=16)
    desired_route: int | None = None  # None: not wanted any more
    desired_uri: str | None = None
    desired_mo_prefix: str = ""
    desired_mt_prefix: str = ""
    registered_route: int | None = None  # None: nothing registered
    registered_uri: str | None = None
    registered_mo_prefix: str = ""
    registered_mt_prefix: str = ""
    registered_at: float | None = None
    expires_at: float | None = None
    refresh_at: float | None = None
    retry_at: float | None = None
    failures: int = 0
    rejected: bool = False
    last_error: str | None = None
    updated_at: float = 0.0


@dataclass(frozen=True, slots=True)
class EntrySaved(Change):
    """``entry`` of ``phone_number`` was committed; ``entry`` is None when its row went."""

    phone_number: str
    entry: Entry | None


def routable(entry: Entry | None) -> Registration | None:
    """The registration calls are routed by: the accepted one, else the desired one."""
    if entry is None:
        return None
    return entry.registered or entry.desired


def _registration(
    number: str, route: int | None, uri: str | None, mo: str, mt: str
) -> Registration | None:
    if route is None or uri is None:
        return None
    return Registration(number, Route(route), uri, mo, mt)


def _to_entry(row: RegistrationRow) -> Entry:
    n = row.phone_number
    return Entry(
        phone_number=n,
        desired=_registration(
            n, row.desired_route, row.desired_uri, row.desired_mo_prefix, row.desired_mt_prefix
        ),
        registered=_registration(
            n,
            row.registered_route,
            row.registered_uri,
            row.registered_mo_prefix,
            row.registered_mt_prefix,
        ),
        registered_at=row.registered_at,
        expires_at=row.expires_at,
        refresh_at=row.refresh_at,
        retry_at=row.retry_at,
        failures=row.failures,
        rejected=row.rejected,
        last_error=row.last_error,
        updated_at=row.updated_at,
    )


def _fill(row: RegistrationRow, entry: Entry) -> None:
    want, have = entry.desired, entry.registered
    row.desired_route = int(want.route) if want else None
    row.desired_uri = want.sip_uri if want else None
    row.desired_mo_prefix = want.mo_prefix if want else ""
    row.desired_mt_prefix = want.mt_prefix if want else ""
    row.registered_route = int(have.route) if have else None
    row.registered_uri = have.sip_uri if have else None
    row.registered_mo_prefix = have.mo_prefix if have else ""
    row.registered_mt_prefix = have.mt_prefix if have else ""
    row.registered_at = entry.registered_at
    row.expires_at = entry.expires_at
    row.refresh_at = entry.refresh_at
    row.retry_at = entry.retry_at
    row.failures = entry.failures
    row.rejected = entry.rejected
    row.last_error = entry.last_error
    row.updated_at = entry.updated_at


class RegistrationStore:
    """Entries keyed by phone number; an entry with nothing wanted or registered is removed."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_schema(self) -> None:
        await self.db.migrate()

    async def entries(self) -> list[Entry]:
        """Every entry, ordered by phone number."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(RegistrationRow).order_by(col(RegistrationRow.phone_number))
            )
            return [_to_entry(row) for row in rows]

    async def get(self, phone_number: str) -> Entry | None:
        async with self.db.session() as session:
            row = await session.get(RegistrationRow, phone_number)
            return _to_entry(row) if row is not None else None

    async def save(self, entry: Entry) -> None:
        """Write ``entry`` (delete its row when :func:`is_finished`)."""
        async with self.db.session() as session:
            row = await session.get(RegistrationRow, entry.phone_number)
            finished = is_finished(entry)
            if finished:
                if row is not None:
                    await session.delete(row)
            else:
                if row is None:
                    row = RegistrationRow(phone_number=entry.phone_number)
                _fill(row, entry)
                session.add(row)
            await bump(session, Topic.REGISTRATIONS)
            await session.commit()
        saved = EntrySaved(Topic.REGISTRATIONS, entry.phone_number, None if finished else entry)
        self.db.changes.publish(saved)

    async def forget(self, phone_number: str) -> Entry | None:
        """Remove the row of ``phone_number`` whatever its state, without any operator call
        (``tas register delete --local``). Returns what it held, or ``None``."""
        async with self.db.session() as session:
            row = await session.get(RegistrationRow, phone_number)
            if row is None:
                return None
            entry = _to_entry(row)
            await session.delete(row)
            await bump(session, Topic.REGISTRATIONS)
            await session.commit()
        self.db.changes.publish(EntrySaved(Topic.REGISTRATIONS, phone_number, None))
        return entry

    async def set_desired(
        self, phone_number: str, desired: Registration | None, now: float
    ) -> Entry | None:
        """Want ``desired`` for ``phone_number`` (``None``: want it gone). Returns the entry,
        or ``None`` when there was nothing to remove."""
        current = await self.get(phone_number)
        if current is None and desired is None:
            return None
        entry = with_desired(current, phone_number, desired, now)
        await self.save(entry)
        return entry

    async def replace_desired(self, desired: Sequence[Registration], now: float) -> list[Entry]:
        """Make ``desired`` the whole desired state: numbers not in it are to be deleted."""
        wanted = {reg.phone_number: reg for reg in desired}
        if len(wanted) != len(desired):
            raise ValueError("one registration per phone number")
        current = {e.phone_number: e for e in await self.entries()}
        result = []
        for number in sorted(wanted.keys() | current.keys()):
            entry = with_desired(current.get(number), number, wanted.get(number), now)
            if entry != current.get(number):
                await self.save(entry)
            if not is_finished(entry):
                result.append(entry)
        return result
