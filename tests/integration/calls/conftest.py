"""Fixtures of the end-to-end call tests (see calls_helpers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tas.server import TasServer
from tests.integration.calls.calls_helpers import running_server


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TasServer]:
    async for running in running_server(tmp_path / "data"):
        yield running
