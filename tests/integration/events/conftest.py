"""A sandbox control plane on an ephemeral loopback port, a SQLite store, a throw-away
PostgreSQL database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tas.config import SandboxSettings
from tas.sandbox.grpc_server import ControlPlane
from tas.store import Database
from tests.integration.calls.directory_helpers import postgres_database


@pytest.fixture
async def plane() -> AsyncIterator[ControlPlane]:
    control = ControlPlane(SandboxSettings())
    await control.start("127.0.0.1:0")
    yield control
    await control.stop(grace=0)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'tas.db'}")
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
async def pg() -> AsyncIterator[Database]:
    async with postgres_database() as name:  # skips when PostgreSQL is unreachable
        database = Database(f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}")
        await database.migrate()
        yield database
        await database.close()
