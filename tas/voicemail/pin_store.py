"""Mailbox PINs in the database (``voicemail_pin``): the scrypt hash (:mod:`tas.voicemail.pins`),
the failed attempts in a row, and until when the mailbox is locked.

:meth:`PinStore.verify` is what the phone menu's :class:`~tas.voicemail.menu_io.VerifyPin` runs:
a locked mailbox answers ``LOCKED`` without looking at the PIN; a wrong PIN adds one failure
(an atomic ``UPDATE … SET failed = failed + 1``, so calls racing each other all count) and the
``attempts``-th locks the mailbox for ``lock_seconds`` (logged); a right one clears the count.
The key derivation runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, update
from sqlmodel import Field, SQLModel, col

from tas.logs import log_event
from tas.store.db import Database
from tas.voicemail.ids import check_number
from tas.voicemail.menu_io import PinCheck
from tas.voicemail.models import utc
from tas.voicemail.pins import check_pin, hash_pin, pin_matches

__all__ = ["MailboxPin", "PinStore"]

log = logging.getLogger(__name__)


class MailboxPin(SQLModel, table=True):
    """One row per mailbox that has a PIN (no row: nobody logs in without trusted identity)."""

    __tablename__ = "voicemail_pin"

    mailbox: str = Field(primary_key=True, max_length=16)
    pin_hash: str = Field(max_length=200)
    failed: int = 0
    locked_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    changed: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class PinStore:
    """PINs of every mailbox; ``attempts`` wrong in a row lock one for ``lock_seconds``."""

    def __init__(self, db: Database, *, attempts: int = 3, lock_seconds: float = 900.0) -> None:
        self.db = db
        self.attempts = attempts
        self.lock_seconds = lock_seconds

    async def set_pin(self, mailbox: str, pin: str, now: datetime | None = None) -> None:
        """Store a new PIN (:class:`ValueError` unless 4-8 digits); clears failures and lock."""
        mailbox = check_number(mailbox)
        digest = await asyncio.to_thread(hash_pin, check_pin(pin))
        when = now or datetime.now(UTC)
        async with self.db.session() as session:
            row = await session.get(MailboxPin, mailbox)
            if row is None:
                row = MailboxPin(mailbox=mailbox, pin_hash=digest, changed=when)
            row.pin_hash, row.failed, row.locked_until, row.changed = digest, 0, None, when
            session.add(row)
            await session.commit()
        log_event(log, "voicemail_pin_set", mailbox=mailbox)

    async def unlock(self, mailbox: str) -> bool:
        """Clear a lock and the failures now; False when the mailbox has no PIN."""
        async with self.db.session() as session:
            result = await session.exec(
                update(MailboxPin)
                .where(col(MailboxPin.mailbox) == check_number(mailbox))
                .values(failed=0, locked_until=None)
            )
            await session.commit()
        return bool(result.rowcount)

    async def verify(self, mailbox: str, pin: str, now: datetime | None = None) -> PinCheck:
        """Check ``pin`` for ``mailbox``, counting a failure and locking at the limit."""
        mailbox = check_number(mailbox)
        now = now or datetime.now(UTC)
        async with self.db.session() as session:
            row = await session.get(MailboxPin, mailbox)
            if row is None:
                return PinCheck.NOT_SET
            stored, locked_until = row.pin_hash, row.locked_until
        if locked_until is not None and utc(locked_until) > now:
            return PinCheck.LOCKED
        if await asyncio.to_thread(pin_matches, pin, stored):
            await self._write(mailbox, failed=0, locked_until=None)
            return PinCheck.OK
        async with self.db.session() as session:
            failed = (
                await session.exec(
                    update(MailboxPin)
                    .where(col(MailboxPin.mailbox) == mailbox)
                    .values(failed=col(MailboxPin.failed) + 1)
                    .returning(col(MailboxPin.failed))
                )
            ).scalar_one()
            await session.commit()
        if failed < self.attempts:
            return PinCheck.WRONG
        until = now + timedelta(seconds=self.lock_seconds)
        await self._write(mailbox, failed=0, locked_until=until)
        log_event(
            log,
            "voicemail_pin_locked",
            level=logging.WARNING,
            mailbox=mailbox,
            until=until.isoformat(),
            wrong_pins=failed,
        )
        return PinCheck.LOCKED

    async def locked_until(self, mailbox: str, now: datetime | None = None) -> datetime | None:
        """When the lock of ``mailbox`` ends (None: not locked)."""
        now = now or datetime.now(UTC)
        async with self.db.session() as session:
            row = await session.get(MailboxPin, check_number(mailbox))
        if row is None or row.locked_until is None or utc(row.locked_until) <= now:
            return None
        return utc(row.locked_until)

    async def _write(self, mailbox: str, *, failed: int, locked_until: datetime | None) -> None:
        async with self.db.session() as session:
            await session.exec(
                update(MailboxPin)
                .where(col(MailboxPin.mailbox) == mailbox)
                .values(failed=failed, locked_until=locked_until)
            )
            await session.commit()
