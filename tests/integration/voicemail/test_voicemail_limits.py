"""Mailbox usage as the abuse limits see it, from real rows (SQLite and PostgreSQL): totals per
mailbox and the messages one caller left within the last hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tas.voicemail import VoicemailStore
from tas.voicemail.limits import MailboxUsage, Refusal, decide, measure
from tests.integration.voicemail.conftest import Speech

BOX = "+4712345678"
CALLER = "+4799999999"
OTHER = "+4798888888"
NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


async def test_usage_counts_the_window_per_caller(store: VoicemailStore, speech: Speech) -> None:
    store.settings.max_messages = 10
    for minutes, caller, seconds in [(125, CALLER, 2.0), (61, CALLER, 1.5), (59, CALLER, 1.0),
                                     (1, CALLER, 1.0), (5, OTHER, 3.0)]:  # fmt: skip
        await store.deposit(BOX, caller, speech(seconds), now=NOW - timedelta(minutes=minutes))
    await store.deposit("+4711111111", CALLER, speech(1.0), now=NOW)  # another mailbox
    usage = await measure(store.db, BOX, CALLER, now=NOW)
    assert usage.messages == 5 and usage.from_caller == 2
    assert abs(usage.seconds - 8.5) < 0.01
    assert await measure(store.db, BOX, OTHER, now=NOW) == MailboxUsage(5, usage.seconds, 1)
    assert await measure(store.db, "+4700000000", CALLER, now=NOW) == MailboxUsage(0, 0.0, 0)


async def test_third_within_the_hour_then_refused(store: VoicemailStore, speech: Speech) -> None:
    store.settings.max_messages = 10
    settings = store.settings.model_copy(update={"max_per_caller_per_hour": 3})
    for minutes in (50, 30, 10):
        usage = await measure(store.db, BOX, CALLER, now=NOW)
        assert decide(usage, settings).refusal is None
        await store.deposit(BOX, CALLER, speech(1.0), now=NOW - timedelta(minutes=minutes))
    assert decide(await measure(store.db, BOX, CALLER, now=NOW), settings).refusal is (
        Refusal.CALLER_LIMIT
    )
    later = NOW + timedelta(minutes=11)  # the oldest of the three left the window
    assert decide(await measure(store.db, BOX, CALLER, now=later), settings).refusal is None
