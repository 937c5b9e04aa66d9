"""Two replicas started at the same instant on an empty PostgreSQL both come up (issue #14):
the schema is migrated once, under the advisory lock, and both serve calls."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tas.store import Database
from tas.store.migrate import current, head
from tas.transport.stack import StackOptions
from tas.transport.ua import UserAgent
from tests.ha.conftest import launch_replica, wait_ready
from tests.integration.calls.directory_helpers import postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]

SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"


async def test_two_replicas_on_an_empty_postgres_start_together(tmp_path: Path) -> None:
    async with postgres_database() as name:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
        extra = f'[database]\nurl = "{url}"\n'
        replicas = [launch_replica(tmp_path, n, extra) for n in ("a", "b")]  # same instant
        try:
            for replica, n in zip(replicas, ("a", "b"), strict=True):
                await asyncio.to_thread(wait_ready, replica)
                assert f"instance={n}" in replica.log.read_text()  # not both "<host>-0"
            async with await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=())) as ua:
                for replica in replicas:
                    call = await ua.call(f"sip:service@127.0.0.1:{replica.port}", sdp=SDP)
                    assert await call.hangup() == "BYE"
            db = Database(url)
            try:
                assert await current(db) == head()
            finally:
                await db.close()
        finally:
            codes = [await asyncio.to_thread(r.stop) for r in replicas]
        assert codes == [0, 0], [r.log.read_text()[-2000:] for r in replicas]
