"""Exactly once under a crash (issue 17 goal 4), real PostgreSQL and a real process kill: a
consumer SIGKILLed mid-stream — right after a commit and before that batch's acks, or at an
arbitrary moment of a backlog — is replaced by another on the same queue+durable; every event
ends up stored once, and what was committed but not acked comes back as duplicates."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from tas.events import EventConsumer, EventStore
from tas.sandbox.grpc_server import ControlPlane
from tas.store import Database
from tests.integration.events.events_helpers import consumer_settings, eventually

ROOT = Path(__file__).resolve().parents[3]
EVENTS = 300
A, B = "+4791111111", "+4792222222"

pytestmark = pytest.mark.postgres


async def stored_sequences(db: Database, stream: str) -> list[int]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT sequence FROM core_event WHERE stream = :s ORDER BY sequence"),
            {"s": stream},
        )
        return [row[0] for row in rows]


async def test_kill_between_commit_and_ack_then_restart_stores_each_event_once(
    plane: ControlPlane, pg: Database
) -> None:
    publish(plane)
    unacked_batch = await _crash(plane, pg, kill_at=5)
    await _recover(plane, pg, unacked_batch)


async def test_kills_at_any_moment_of_a_backlog_then_restart_store_each_event_once(
    plane: ControlPlane, pg: Database
) -> None:
    publish(plane)
    for quarter in (1, 2, 3):  # three crashes, each somewhere in a commit or its acks
        await _crash(plane, pg, kill_at=0, stored=quarter * EVENTS // 4)
    await _recover(plane, pg, unacked_batch=0)


def publish(plane: ControlPlane) -> None:
    for n in range(EVENTS):
        plane.publish_voice_event(f"once-{n}", "CALL_INITIATED", A, B)


async def _crash(plane: ControlPlane, pg: Database, kill_at: int, stored: int = 0) -> int:
    """Run a consumer process until it kills itself after commit ``kill_at`` (returning that
    batch's size), or until ``stored`` rows are in and we kill it (returning 0)."""
    assert plane.address is not None
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.integration.events.crash_consumer",
        plane.address,
        pg.engine.url.render_as_string(hide_password=False),
        "crash",
        str(kill_at),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        assert await asyncio.wait_for(process.stdout.readline(), 30) == b"consuming\n"
        unacked_batch = 0
        if kill_at:
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            assert line.startswith(b"killed "), line
            unacked_batch = int(line.split()[1])
        else:

            async def enough() -> bool:
                return len(await stored_sequences(pg, "crash")) >= stored

            await _until(enough, 30)
            process.kill()
        assert await asyncio.wait_for(process.wait(), 10) == -signal.SIGKILL
        return unacked_batch
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _recover(plane: ControlPlane, pg: Database, unacked_batch: int) -> None:
    committed = len(await stored_sequences(pg, "crash"))
    assert 0 < committed < EVENTS

    survivor = EventConsumer(consumer_settings(plane, queue_name="crash", durable_name="crash"), pg)
    survivor.stream = "crash"
    survivor.start()
    try:
        # A statement the killed process had sent may still commit after `committed` was read:
        # wait for the database to hold everything, then for the survivor's acks.
        async def all_stored() -> bool:
            return len(await stored_sequences(pg, "crash")) >= EVENTS

        await _until(all_stored, 30)
        await eventually(lambda: survivor.stats.acked == survivor.stats.received, within=10)
    finally:
        await survivor.stop()
    stats = survivor.stats
    assert await stored_sequences(pg, "crash") == list(range(1, EVENTS + 1))  # each once
    assert stats.ack_failures == 0 and stats.store_failures == 0
    # Committed before the kill but never acked: redelivered, recognised, stored no second time.
    assert stats.duplicates >= unacked_batch
    assert stats.received == stats.stored + stats.duplicates
    assert committed + stats.stored <= EVENTS
    assert await EventStore(pg).count() == EVENTS


async def _until(check: Callable[[], Awaitable[bool]], within: float) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not await check():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
