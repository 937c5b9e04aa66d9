"""Voicemail store fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL (127.0.0.1:5432, db ``test``, user postgres) gets a throw-away database per test
session so concurrent suites never see each other's rows; the tests skip when it is unreachable.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from tas.config import VoicemailSettings
from tas.store.db import Database
from tas.voicemail import VoicemailStore
from tas.voicemail.models import Mailbox, VoicemailRow
from tas.voicemail.wavfile import pcm16_wav

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


async def _pg(statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN, timeout=3)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    name = f"tas_vm_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # unreachable server, no permission: skip, do not fail
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 unreachable: {exc}")
    yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'tas.db'}"
    url: str = request.getfixturevalue("pg_database")
    return url


@pytest.fixture
def vm_settings() -> VoicemailSettings:
    return VoicemailSettings(max_messages=3, min_seconds=1.0, expiry_days=7)


@pytest.fixture
async def store(
    db_url: str, tmp_path: Path, vm_settings: VoicemailSettings
) -> AsyncIterator[VoicemailStore]:
    vm = VoicemailStore(Database(db_url), tmp_path / "vm", vm_settings)
    await vm.open()
    if db_url.startswith("postgresql"):  # one database per session: start each test empty
        async with vm.db.session() as session:
            await session.exec(delete(VoicemailRow))
            await session.exec(delete(Mailbox))
            await session.commit()
    yield vm
    await vm.close()


Restart = Callable[[], Awaitable[VoicemailStore]]


@pytest.fixture
async def restart(
    db_url: str, tmp_path: Path, vm_settings: VoicemailSettings
) -> AsyncIterator[Restart]:
    """Open another store on the same database and directory: the process after a restart."""
    opened: list[VoicemailStore] = []

    async def make() -> VoicemailStore:
        vm = VoicemailStore(Database(db_url), tmp_path / "vm", vm_settings)
        await vm.open()
        opened.append(vm)
        return vm

    yield make
    for vm in opened:
        await vm.close()


Speech = Callable[..., bytes]


@pytest.fixture
def speech() -> Speech:
    """``speech(seconds, seed=1)``: a WAV of reproducible noise; equal bytes prove the audio
    came back unchanged."""

    def make(seconds: float, seed: int = 1) -> bytes:
        return pcm16_wav(random.Random(seed).randbytes(2 * round(seconds * 8000)))

    return make
