"""The in-process change feed and the change counters (on an in-memory SQLite)."""

from __future__ import annotations

import logging

import pytest

from tas.store import Database
from tas.store.changes import Change, ChangeFeed, Topic, bump, read_versions


def test_feed_calls_subscribers_in_order_and_survives_a_failing_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    feed, seen = ChangeFeed(), []

    def broken(change: Change) -> None:
        raise RuntimeError("boom")

    unsubscribe = feed.subscribe(lambda c: seen.append(("a", c.topic)))
    feed.subscribe(broken)
    feed.subscribe(lambda c: seen.append(("b", c.topic)))
    with caplog.at_level(logging.ERROR):
        feed.publish(Change(Topic.POLICIES))
    assert seen == [("a", Topic.POLICIES), ("b", Topic.POLICIES)]
    assert "change_subscriber_failed" in caplog.text
    unsubscribe()
    feed.publish(Change(Topic.REGISTRATIONS))
    assert seen[-1] == ("b", Topic.REGISTRATIONS) and len(seen) == 3


async def test_counters_start_at_zero_and_count_every_bump() -> None:
    db = Database("sqlite+aiosqlite:///:memory:")
    await db.migrate()
    try:
        async with db.session() as session:
            assert await read_versions(session) == dict.fromkeys(Topic, 0)
            for _ in range(3):
                await bump(session, Topic.POLICIES)
            await session.commit()
            assert await read_versions(session) == {**dict.fromkeys(Topic, 0), Topic.POLICIES: 3}
    finally:
        await db.close()
