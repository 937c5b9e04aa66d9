"""Fixtures of the security suite (issue #10): a ``tas serve`` whose only trusted source is
the embedded sandbox core on 127.0.0.1; attackers send from 127.0.0.2."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tas.server import TasServer
from tests.security.peers import running_server


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TasServer]:
    async for running in running_server(tmp_path / "data"):
        yield running
