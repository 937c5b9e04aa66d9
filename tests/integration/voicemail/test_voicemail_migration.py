"""Migration 0003 (``voicemail_audio``) on real SQLite and PostgreSQL: a database at 0002 with a
message in it is upgraded, keeps its message (still played from the local folder), and the
``database`` backend can store the next one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tas.config import VoicemailSettings
from tas.store.db import Database
from tas.store.migrate import current, upgrade
from tas.voicemail import VoicemailStore
from tests.integration.calls.directory_helpers import postgres_database

pytestmark = pytest.mark.timeout(60)
BOX = "+4712345678"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of its own (the session's shared one already has the schema)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    async with postgres_database() as name:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))


async def _no_outbox(*args: Any) -> None:
    """What a 0002 release did about notifications and transcripts: nothing (no outbox table
    before 0005, no transcript table before 0009)."""


async def test_0002_database_with_a_message_is_upgraded(
    fresh_url: str, tmp_path: Path, speech: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(fresh_url)
    try:
        await upgrade(db, "0002")
        assert await current(db) == "0002" and "voicemail_audio" not in await _tables(db)
        old = VoicemailStore(db, tmp_path / "vm", VoicemailSettings(), instance="old")
        old.db._migrated = True  # a 0002 release: do not upgrade on open
        monkeypatch.setattr("tas.voicemail.store.add_commit_rows", _no_outbox)
        wav = speech(2.0)
        message = await old.deposit(BOX, "+4799999999", wav)
        monkeypatch.undo()  # this release from here on
        before, after = await upgrade(db, "head")
        assert (before, after) == ("0002", await current(db)) and after is not None
        assert after >= "0003" and "voicemail_audio" in await _tables(db)
        _, data = await old.read_audio(message.voicemail_id)
        assert data == wav
        shared = VoicemailStore(db, tmp_path / "vm", VoicemailSettings(storage="database"))
        second = await shared.deposit(BOX, "+4799999998", speech(1.5, seed=2))
        assert (await shared.read_audio(second.voicemail_id))[1] == speech(1.5, seed=2)
    finally:
        await db.close()
