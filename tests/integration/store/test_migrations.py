"""Alembic migrations on real SQLite and PostgreSQL (issue #14): a fresh database reaches the
head revision, a database made by the previous release (``create_all``, no alembic) is upgraded
with its rows, a newer schema is refused, and replicas migrating at the same instant all come
up."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tas.store import Database
from tas.store.migrate import SchemaTooNewError, all_metadata, current, head, history, upgrade
from tests.integration.calls.directory_helpers import postgres_database

pytestmark = pytest.mark.timeout(120)


def test_history_is_one_line_from_0001_to_head() -> None:
    revisions = history()
    assert [r.revision for r in revisions][:2] == ["0001", "0002"]
    assert revisions[-1].revision == head()
    for older, newer in zip(revisions, revisions[1:], strict=False):
        assert newer.down_revision == older.revision


async def _previous_release(url: str) -> None:
    """What the release before migrations made: create_all of its tables, one row."""
    metadata = all_metadata()
    engine = create_async_engine(url)
    new = {
        "store_change",
        "voicemail_audio",
        "notification_outbox",
        "voicemail_notify",
        "voicemail_greeting",
        "voicemail_pin",
        "call_rule",  # 0008
        "voicemail_transcript",  # 0009
    }
    old = [t for name, t in metadata.tables.items() if name not in new]
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: metadata.create_all(c, tables=old))
        await conn.execute(sa.text("ALTER TABLE call_policy DROP COLUMN early_media"))  # 0004
        await conn.execute(
            sa.text(
                "INSERT INTO call_policy (number, route, action, status, target, menu) "
                "VALUES ('+4799990001', NULL, 'reject', 603, '', '')"
            )
        )
    await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'tas.db'}"
        return
    async with postgres_database() as name:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def test_fresh_database_reaches_head(url: str) -> None:
    db = Database(url)
    try:
        assert await current(db) is None
        before, after = await upgrade(db)
        assert (before, after) == (None, head())
        async with db.engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
        assert set(all_metadata().tables) <= names
        assert await upgrade(db) == (head(), head())  # idempotent
    finally:
        await db.close()


async def test_previous_release_database_is_upgraded_with_its_rows(url: str) -> None:
    await _previous_release(url)
    db = Database(url)
    try:
        before, after = await upgrade(db)
        assert (before, after) == (None, head())
        async with db.engine.connect() as conn:
            rows = (await conn.execute(sa.text("SELECT number, status FROM call_policy"))).all()
            assert [tuple(r) for r in rows] == [("+4799990001", 603)]
            await conn.execute(sa.text("SELECT topic, version FROM store_change"))
    finally:
        await db.close()


async def test_newer_schema_is_refused(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
        async with db.engine.begin() as conn:
            await conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(SchemaTooNewError, match="9999, newer than this release"):
            await upgrade(db)
    finally:
        await db.close()


async def test_replicas_migrating_at_the_same_instant_all_come_up(url: str) -> None:
    """Four processes start on the empty database together; each migrates (or waits for the
    lock and finds it current) and exits 0; the schema is at head once."""
    code = (
        "import asyncio, sys\n"
        "from tas.store import Database\n"
        "async def main():\n"
        "    db = Database(sys.argv[1])\n"
        "    await db.migrate()\n"
        "    await db.close()\n"
        "asyncio.run(main())\n"
    )
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, url, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(4)
    ]
    results = await asyncio.gather(*(p.communicate() for p in procs))
    assert [p.returncode for p in procs] == [0] * 4, [err.decode()[-1500:] for _, err in results]
    db = Database(url)
    try:
        assert await current(db) == head()
    finally:
        await db.close()


def test_tas_db_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from tas.cli import cli

    monkeypatch.setenv("TAS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TAS_CONFIG", raising=False)
    runner = CliRunner()
    first = runner.invoke(cli, ["db", "current"])
    assert first.exit_code == 0 and first.output.startswith("none (head ")
    up = runner.invoke(cli, ["db", "upgrade"])
    assert up.exit_code == 0 and up.output == f"schema upgraded empty -> {head()}\n"
    again = runner.invoke(cli, ["db", "upgrade"])
    assert again.output == f"schema current at {head()}\n"
    listed = runner.invoke(cli, ["db", "history"])
    assert listed.output.splitlines()[0].startswith("0001  ")

    async def newer() -> None:
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'tas.db'}")
        async with engine.begin() as conn:
            await conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
        await engine.dispose()

    asyncio.run(newer())
    refused = runner.invoke(cli, ["db", "upgrade"])
    assert refused.exit_code == 1 and "newer than this release knows" in refused.output


async def test_0009_transcripts_upgrade_and_downgrade(url: str) -> None:
    """0008 -> 0009 adds voicemail_transcript (deleted with its message); 0009 -> 0008 drops it
    and leaves the messages; upgrading again brings it back."""
    from alembic import command

    from tas.store.migrate import _config

    db = Database(url)
    try:
        assert await upgrade(db, "0008") == (None, "0008")
        assert await upgrade(db) == ("0008", "0009")
        async with db.engine.begin() as conn:
            await conn.execute(
                sa.text("INSERT INTO voicemail_mailbox (number, created) VALUES ('+47', :t)"),
                {"t": datetime.now(UTC)},
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO voicemail_message (voicemail_id, mailbox, caller, duration, "
                    "created, expires, played, reason, size, path) VALUES "
                    "('m1', '+47', 'anonymous', 1.0, :t, :t, false, 'busy', 1, 'a.wav')"
                ),
                {"t": datetime.now(UTC)},
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO voicemail_transcript (voicemail_id, status, text, engine, "
                    "language, error, attempts, created, updated) VALUES "
                    "('m1', 'done', 'call me', 'pocketsphinx', 'en-US', '', 1, :t, :t)"
                ),
                {"t": datetime.now(UTC)},
            )
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(_config(c), "0008"))
        assert await current(db) == "0008"
        async with db.engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
            assert "voicemail_transcript" not in names
            kept = (await conn.execute(sa.text("SELECT voicemail_id FROM voicemail_message"))).all()
            assert [tuple(r) for r in kept] == [("m1",)]
        assert await upgrade(db) == ("0008", "0009")
        async with db.engine.begin() as conn:
            count = "SELECT count(*) FROM voicemail_transcript"
            assert (await conn.execute(sa.text(count))).scalar() == 0  # nothing came back
            await conn.execute(
                sa.text(
                    "INSERT INTO voicemail_transcript (voicemail_id, status, text, engine, "
                    "language, error, attempts, created, updated) VALUES "
                    "('m1', 'pending', '', '', '', '', 0, :t, :t)"
                ),
                {"t": datetime.now(UTC)},
            )
            await conn.execute(sa.text("DELETE FROM voicemail_message"))
            assert (await conn.execute(sa.text(count))).scalar() == 0  # cascaded
    finally:
        await db.close()
