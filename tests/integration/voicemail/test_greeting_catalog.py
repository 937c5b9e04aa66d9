"""Greetings with ``[voicemail] storage = "database"`` (tas.voicemail.greeting_catalog): two
replicas with their own data folders on one database play each other's greetings, see changes
and deletions, and a replica that cannot reach the database plays its cached files. With
``local`` storage the files alone are the greetings (no rows)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func
from sqlmodel import select

from tas.config import VoicemailSettings
from tas.store.db import Database
from tas.voicemail import Reason, VoicemailStore
from tas.voicemail.greetings import DEFAULT_GREETING, GreetingKind
from tas.voicemail.models import GreetingRow
from tas.voicemail.wavfile import pcm16_wav

BOX = "+4799990001"


def wav(seed: int) -> bytes:
    return pcm16_wav(bytes([seed % 256, 7]) * 8000)


@pytest.fixture
async def replicas(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[VoicemailStore, ...]]:
    settings = VoicemailSettings(storage="database")
    stores = tuple(
        VoicemailStore(Database(db_url), tmp_path / name, settings, instance=name)
        for name in ("a", "b")
    )
    for store in stores:
        await store.open()
    async with stores[0].db.session() as session:  # PostgreSQL is shared by the session
        await session.exec(delete(GreetingRow))  # type: ignore[call-overload]
        await session.commit()
    yield stores
    for store in stores:
        await store.close()


async def test_replicas_share_greetings(replicas: tuple[VoicemailStore, ...]) -> None:
    a, b = replicas
    await a.greeting_catalog.set_greeting(BOX, GreetingKind.BUSY, wav(1))
    played = await b.greeting_catalog.greeting_for(BOX, Reason.BUSY)
    assert played.is_relative_to(b.root) and played.read_bytes() == wav(1)
    # no-answer falls back to unavailable, set on the other replica
    await b.greeting_catalog.set_greeting(BOX, GreetingKind.UNAVAILABLE, wav(2))
    assert (await a.greeting_catalog.greeting_for(BOX, Reason.NO_ANSWER)).read_bytes() == wav(2)
    # a change on a is played by b
    await a.greeting_catalog.set_greeting(BOX, GreetingKind.BUSY, wav(3))
    assert (await b.greeting_catalog.greeting_for(BOX, Reason.BUSY)).read_bytes() == wav(3)
    # a deletion on a: b falls back to the shipped default
    assert await a.greeting_catalog.delete_greeting(BOX, GreetingKind.BUSY)
    assert await b.greeting_catalog.greeting_for(BOX, Reason.BUSY) == DEFAULT_GREETING
    assert set(await b.greeting_catalog.custom_greetings(BOX)) == {GreetingKind.UNAVAILABLE}
    assert await b.greeting_catalog.reset_greeting(BOX) == 1
    assert await a.greeting_catalog.greeting_for(BOX, Reason.UNAVAILABLE) == DEFAULT_GREETING
    assert not await a.greeting_catalog.delete_greeting(BOX, GreetingKind.BUSY)


async def test_database_unreachable_plays_the_cached_file(
    replicas: tuple[VoicemailStore, ...],
) -> None:
    a, b = replicas
    await a.greeting_catalog.set_greeting(BOX, GreetingKind.DEFAULT, wav(4))
    await b.greeting_catalog.greeting_for(BOX, Reason.BUSY)  # cached on b
    await b.db.close()
    # Nothing listens on port 1: every query is refused.
    b.greeting_catalog.db = Database("postgresql+asyncpg://postgres@127.0.0.1:1/gone")
    played = await b.greeting_catalog.greeting_for(BOX, Reason.BUSY)
    assert played.read_bytes() == wav(4)
    await b.greeting_catalog.db.close()


async def test_local_storage_keeps_no_rows(db_url: str, tmp_path: Path) -> None:
    store = VoicemailStore(Database(db_url), tmp_path / "vm", VoicemailSettings(storage="local"))
    await store.open()
    try:
        async with store.db.session() as session:
            await session.exec(delete(GreetingRow))  # type: ignore[call-overload]
            await session.commit()
        await store.greeting_catalog.set_greeting(BOX, GreetingKind.NAME, wav(5))
        assert store.greetings.custom_greetings(BOX)[GreetingKind.NAME].read_bytes() == wav(5)
        async with store.db.session() as session:
            count = (await session.exec(select(func.count()).select_from(GreetingRow))).one()
        assert count == 0
    finally:
        await store.close()
