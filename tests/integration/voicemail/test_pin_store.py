"""Mailbox PINs on real SQLite and PostgreSQL (tas.voicemail.pin_store): scrypt hash stored,
wrong PINs counted, the third locks the mailbox for a while, concurrent failures all count."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from tas.store.db import Database
from tas.voicemail.menu_io import PinCheck
from tas.voicemail.pin_store import MailboxPin, PinStore

BOX = "+4712345678"
T0 = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
async def pins(db_url: str) -> AsyncIterator[PinStore]:
    db = Database(db_url)
    await db.migrate()
    async with db.session() as session:  # PostgreSQL is shared by the session's tests
        row = await session.get(MailboxPin, BOX)
        if row is not None:
            await session.delete(row)
            await session.commit()
    try:
        yield PinStore(db, attempts=3, lock_seconds=600)
    finally:
        await db.close()


async def test_pin_is_stored_hashed_and_checked(pins: PinStore) -> None:
    assert await pins.verify(BOX, "1234", T0) is PinCheck.NOT_SET
    await pins.set_pin(BOX, "1234", T0)
    async with pins.db.session() as session:
        row = await session.get(MailboxPin, BOX)
    assert row is not None and row.pin_hash.startswith("scrypt$") and "1234" not in row.pin_hash
    assert await pins.verify(BOX, "1234", T0) is PinCheck.OK
    assert await pins.verify(BOX, "4321", T0) is PinCheck.WRONG


async def test_bad_pin_is_refused_before_storing(pins: PinStore) -> None:
    with pytest.raises(ValueError, match="4 to 8 digits"):
        await pins.set_pin(BOX, "12", T0)
    assert await pins.verify(BOX, "12", T0) is PinCheck.NOT_SET


async def test_three_wrong_pins_lock_the_mailbox_for_a_while(pins: PinStore) -> None:
    await pins.set_pin(BOX, "2580", T0)
    assert await pins.verify(BOX, "0000", T0) is PinCheck.WRONG
    assert await pins.verify(BOX, "2580", T0) is PinCheck.OK  # a right PIN clears the count
    assert await pins.verify(BOX, "0000", T0) is PinCheck.WRONG
    assert await pins.verify(BOX, "1111", T0) is PinCheck.WRONG
    assert await pins.verify(BOX, "2222", T0) is PinCheck.LOCKED
    assert await pins.locked_until(BOX, T0) == T0 + timedelta(seconds=600)
    later = T0 + timedelta(seconds=599)
    assert await pins.verify(BOX, "2580", later) is PinCheck.LOCKED  # even the right one
    after = T0 + timedelta(seconds=601)
    assert await pins.locked_until(BOX, after) is None
    assert await pins.verify(BOX, "2580", after) is PinCheck.OK


async def test_concurrent_wrong_pins_all_count(pins: PinStore) -> None:
    await pins.set_pin(BOX, "2580", T0)
    results = await asyncio.gather(*(pins.verify(BOX, "9999", T0) for _ in range(3)))
    assert sorted(results) == sorted([PinCheck.WRONG, PinCheck.WRONG, PinCheck.LOCKED])


async def test_unlock_and_new_pin_clear_the_lock(pins: PinStore) -> None:
    assert await pins.unlock(BOX) is False
    await pins.set_pin(BOX, "2580", T0)
    for _ in range(3):
        await pins.verify(BOX, "0000", T0)
    assert await pins.unlock(BOX) is True
    assert await pins.verify(BOX, "2580", T0) is PinCheck.OK
    for _ in range(3):
        await pins.verify(BOX, "0000", T0)
    await pins.set_pin(BOX, "13579", T0)
    assert await pins.verify(BOX, "13579", T0) is PinCheck.OK
