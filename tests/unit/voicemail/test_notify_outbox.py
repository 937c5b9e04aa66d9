"""The outbox rules (tas.voicemail.notify_outbox) on a virtual clock: claims lease one attempt,
a dead worker's lease expires, retries back off exponentially up to the cap, attempts run out,
permanent failures stop at once, and the idempotency key is the same on every attempt."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tas.voicemail.notify_models import Channel, OutboxState
from tas.voicemail.notify_outbox import (
    Backoff,
    Entry,
    claim,
    claimable,
    failed,
    idempotency_key,
    sent,
)

T0 = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)
BACKOFF = Backoff(initial=5.0, maximum=40.0, max_attempts=5)


def entry(**changes: object) -> Entry:
    base = Entry(
        id=1,
        voicemail_id="6f1c7a53-6d2e-4a57-9a51-0c3d7d1e2f10",
        mailbox="+4799990001",
        channel=Channel.WEBHOOK,
        target="http://127.0.0.1:1/hook",
        state=OutboxState.PENDING,
        attempts=0,
        next_attempt=T0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_claim_leases_one_attempt_and_excludes_others_until_the_lease_ends() -> None:
    first = claim(entry(), "w1", T0, LEASE)
    assert (first.attempts, first.lease_owner, first.lease_until) == (1, "w1", T0 + LEASE)
    assert not claimable(first, T0 + LEASE - timedelta(microseconds=1))
    with pytest.raises(ValueError, match="not claimable"):
        claim(first, "w2", T0 + timedelta(seconds=1), LEASE)
    # w1 died holding it: once the lease ends w2 takes it over; that is attempt 2.
    second = claim(first, "w2", T0 + LEASE, LEASE)
    assert (second.attempts, second.lease_owner) == (2, "w2")


def test_not_due_yet_is_not_claimable() -> None:
    assert not claimable(entry(next_attempt=T0 + timedelta(seconds=1)), T0)
    assert claimable(entry(next_attempt=T0 + timedelta(seconds=1)), T0 + timedelta(seconds=1))


def test_sent_is_final_and_releases_the_lease() -> None:
    done = sent(claim(entry(), "w1", T0, LEASE), T0 + timedelta(seconds=2))
    assert done.state is OutboxState.SENT
    assert (done.lease_owner, done.lease_until, done.finished) == (
        None,
        None,
        T0 + timedelta(seconds=2),
    )
    assert not claimable(done, T0 + timedelta(days=1))
    with pytest.raises(ValueError, match="not leased"):
        sent(done, T0)


def test_failures_back_off_exponentially_to_the_cap_then_give_up() -> None:
    now = T0
    current = entry()
    delays = []
    for _ in range(BACKOFF.max_attempts - 1):
        current = failed(claim(current, "w1", now, LEASE), now, "503", BACKOFF)
        assert current.state is OutboxState.PENDING and current.lease_owner is None
        delays.append((current.next_attempt - now).total_seconds())
        assert not claimable(current, current.next_attempt - timedelta(microseconds=1))
        now = current.next_attempt
    assert delays == [5.0, 10.0, 20.0, 40.0]
    last = failed(claim(current, "w1", now, LEASE), now, "503 again", BACKOFF)
    assert (last.state, last.attempts, last.last_error) == (OutboxState.FAILED, 5, "503 again")
    assert last.finished == now and not claimable(last, now + timedelta(days=1))


def test_a_permanent_failure_gives_up_at_once() -> None:
    gone = failed(claim(entry(), "w1", T0, LEASE), T0, "404", BACKOFF, permanent=True)
    assert (gone.state, gone.attempts) == (OutboxState.FAILED, 1)


def test_the_error_kept_is_bounded() -> None:
    noisy = failed(claim(entry(), "w1", T0, LEASE), T0, "x" * 10_000, BACKOFF)
    assert len(noisy.last_error) == 500


def test_idempotency_key_is_stable_across_attempts_and_distinct_per_channel() -> None:
    first = claim(entry(), "w1", T0, LEASE)
    retried = claim(failed(first, T0, "e", BACKOFF), "w2", T0 + timedelta(minutes=1), LEASE)
    assert idempotency_key(first) == idempotency_key(retried)
    assert idempotency_key(entry(channel=Channel.SMS)) != idempotency_key(entry())
