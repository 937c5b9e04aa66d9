"""The life of a notification in the outbox, as pure functions on :class:`Entry` (sans-IO).

::

    pending --claim--> pending+lease --sent------------------------------> sent
        ^                   |  \\--failed, attempts left--> pending (next_attempt = now+backoff)
        |                   \\----failed, none left / permanent----------> failed
        \\--lease expired (worker died): claimable again--/

Each claim counts one attempt and leases the entry to one worker until ``now + lease``; the
result is written only while that lease is still this worker's (compare-and-set on
``lease_owner`` and ``attempts`` in :mod:`tas.voicemail.notify_store`). So a worker that dies
before sending loses nothing (the lease expires, another claims it); one that dies after sending
but before marking it sent makes the next worker send it again with the **same**
:func:`idempotency_key` (at-least-once: a receiver that keeps keys sees it once).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tas.voicemail.notify_models import Channel, OutboxState

__all__ = ["Backoff", "Entry", "claim", "claimable", "failed", "idempotency_key", "sent"]

_MAX_ERROR = 500


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential: ``initial`` after the first failed attempt, doubling, capped at ``maximum``;
    ``max_attempts`` claims in all."""

    initial: float
    maximum: float
    max_attempts: int

    def delay(self, attempts: int) -> timedelta:
        """Pause after the ``attempts``-th failed attempt (1-based)."""
        return timedelta(seconds=min(self.maximum, self.initial * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True, slots=True)
class Entry:
    """One outbox row, as the rules see it."""

    id: int
    voicemail_id: str
    mailbox: str
    channel: Channel
    target: str
    state: OutboxState
    attempts: int
    next_attempt: datetime
    lease_owner: str | None = None
    lease_until: datetime | None = None
    last_error: str = ""
    finished: datetime | None = None


def idempotency_key(entry: Entry) -> str:
    """The same on every attempt of one notification, different for every other."""
    return f"{entry.voicemail_id}/{entry.channel.value}"


def claimable(entry: Entry, now: datetime) -> bool:
    """Due, and no worker holds a live lease on it."""
    return (
        entry.state is OutboxState.PENDING
        and entry.next_attempt <= now
        and (entry.lease_until is None or entry.lease_until <= now)
    )


def claim(entry: Entry, owner: str, now: datetime, lease: timedelta) -> Entry:
    """Lease ``entry`` to ``owner`` for one attempt."""
    if not claimable(entry, now):
        raise ValueError(f"outbox entry {entry.id} is not claimable")
    return replace(entry, attempts=entry.attempts + 1, lease_owner=owner, lease_until=now + lease)


def sent(entry: Entry, now: datetime) -> Entry:
    """The attempt succeeded."""
    _check_leased(entry)
    return replace(entry, state=OutboxState.SENT, lease_owner=None, lease_until=None, finished=now)


def failed(
    entry: Entry, now: datetime, error: str, backoff: Backoff, *, permanent: bool = False
) -> Entry:
    """The attempt failed: retry after the backoff, or give up (permanent, or no attempts left)."""
    _check_leased(entry)
    error = error[:_MAX_ERROR]
    if permanent or entry.attempts >= backoff.max_attempts:
        return replace(
            entry,
            state=OutboxState.FAILED,
            lease_owner=None,
            lease_until=None,
            last_error=error,
            finished=now,
        )
    return replace(
        entry,
        lease_owner=None,
        lease_until=None,
        last_error=error,
        next_attempt=now + backoff.delay(entry.attempts),
    )


def _check_leased(entry: Entry) -> None:
    if entry.state is not OutboxState.PENDING or entry.lease_owner is None:
        raise ValueError(f"outbox entry {entry.id} is not leased")
