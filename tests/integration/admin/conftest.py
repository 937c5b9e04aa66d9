"""A running ``TasServer`` (every listener on loopback port 0) with admin tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tas.config import Settings
from tas.config_admin import AdminToken
from tas.demo import ephemeral
from tas.server import TasServer

ADMIN = "admin-token-for-tests"
SUBSCRIBER = "subscriber-token-for-tests"
OWN, OTHER = "+4799990001", "+4799990002"


def admin_settings(data_dir: Path) -> Settings:
    settings = ephemeral(Settings(data_dir=data_dir))
    settings.admin.tokens = [
        AdminToken(token=ADMIN),
        AdminToken(token=SUBSCRIBER, role="subscriber", numbers=[OWN]),
    ]
    settings.admin.ladder_messages = 50  # the console's ladder draws the SIP messages
    return settings


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TasServer]:
    running = TasServer(admin_settings(tmp_path / "data"))
    await running.start()
    try:
        assert running.metrics is not None, "the HTTP server did not start"
        yield running
    finally:
        await running.stop(grace=1.0)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
