"""Registration lifecycle, sans-IO: what to call next for one phone number, and when.

An :class:`Entry` holds what we want (``desired``) and what the operator last accepted
(``registered``), with the times that drive the refresher. Pure functions decide the next
:class:`Upsert` / :class:`Delete` and fold the outcome back in; every call takes ``now``
(seconds since the epoch, so the schedule survives restarts through the store).

Rules (wgtwo-api.md §3): a registration lives ``time_to_live`` (3600 s) from its last upsert, so
re-upsert the same parameters after ``refresh_fraction`` of it; deleting names the registered
``sip_uri``, so a URI change deletes the old registration before upserting the new one; a
rejection waits for the desired state to change; transport failures back off exponentially.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from registrations.model import Registration

__all__ = [
    "Action",
    "Delete",
    "Entry",
    "Policy",
    "State",
    "Upsert",
    "after_delete",
    "after_failure",
    "after_upsert",
    "drop_lapsed",
    "due_at",
    "is_finished",
    "next_action",
    "state",
    "with_desired",
]


@dataclass(frozen=True, slots=True)
class Policy:
    """Refresh and retry timing."""

    refresh_fraction: float = 0.5  # re-upsert at half the TTL: every 30 min for 3600 s
    retry_initial: float = 5.0
    retry_cap: float = 300.0

    def retry_delay(self, failures: int) -> float:
        """Pause after the ``failures``-th consecutive transport failure (1-based)."""
        return min(self.retry_cap, self.retry_initial * 2.0 ** max(failures - 1, 0))


@dataclass(frozen=True, slots=True)
class Upsert:
    registration: Registration
    refresh: bool = False  # same parameters as registered: keeping it alive


@dataclass(frozen=True, slots=True)
class Delete:
    registration: Registration


Action = Upsert | Delete


class State(enum.StrEnum):
    PENDING = "pending"  # wanted, not (yet) accepted with these parameters
    REGISTERED = "registered"
    RETRYING = "retrying"  # last attempt failed in transport; backing off
    REJECTED = "rejected"  # the operator said no; waits for a change
    EXPIRED = "expired"  # was registered, refreshes failed past time_to_live
    DELETING = "deleting"  # no longer wanted, still registered


@dataclass(frozen=True, slots=True)
class Entry:
    """One phone number's desired and registered state."""

    phone_number: str
    desired: Registration | None
    registered: Registration | None = None
    registered_at: float | None = None
    expires_at: float | None = None
    refresh_at: float | None = None
    retry_at: float | None = None
    failures: int = 0
    rejected: bool = False
    last_error: str | None = None
    updated_at: float = 0.0


def with_desired(
    entry: Entry | None, phone_number: str, desired: Registration | None, now: float
) -> Entry:
    """Set what we want; a change clears rejection and backoff so it is tried at once."""
    if entry is None:
        return Entry(phone_number, desired, updated_at=now)
    if entry.desired == desired:
        return entry
    return replace(
        entry, desired=desired, rejected=False, retry_at=None, failures=0, updated_at=now
    )


def next_action(entry: Entry) -> Action | None:
    """The call that moves ``registered`` towards ``desired`` (or keeps it alive)."""
    registered, desired = entry.registered, entry.desired
    if registered is not None and (desired is None or registered.sip_uri != desired.sip_uri):
        return Delete(registered)
    if desired is None:
        return None
    return Upsert(desired, refresh=registered == desired)


def due_at(entry: Entry) -> float | None:
    """When :func:`next_action` should run (or a lapsed deletion be dropped); ``None``: never."""
    action = next_action(entry)
    if action is None:
        return None
    if entry.rejected:  # a refused deletion still goes away when the registration lapses
        return entry.expires_at if isinstance(action, Delete) else None
    if entry.retry_at is not None:
        return entry.retry_at
    if isinstance(action, Upsert) and action.refresh:
        return entry.refresh_at if entry.refresh_at is not None else 0.0
    return 0.0


def drop_lapsed(entry: Entry, now: float) -> Entry:
    """A registration we no longer want that has outlived its TTL is gone at the operator
    already: forget it without a DeleteRegistration call."""
    action = next_action(entry)
    if isinstance(action, Delete) and entry.expires_at is not None and now >= entry.expires_at:
        return after_delete(entry, now)
    return entry


def after_upsert(
    entry: Entry, registration: Registration, ttl: float, now: float, policy: Policy
) -> Entry:
    """The operator accepted ``registration`` for ``ttl`` seconds."""
    return replace(
        entry,
        registered=registration,
        registered_at=now,
        expires_at=now + ttl,
        refresh_at=now + ttl * policy.refresh_fraction,
        retry_at=None,
        failures=0,
        rejected=False,
        last_error=None,
        updated_at=now,
    )


def after_delete(entry: Entry, now: float) -> Entry:
    """The operator removed ``entry.registered``."""
    return replace(
        entry,
        registered=None,
        registered_at=None,
        expires_at=None,
        refresh_at=None,
        retry_at=None,
        failures=0,
        rejected=False,
        last_error=None,
        updated_at=now,
    )


def after_failure(entry: Entry, error: str, now: float, policy: Policy, *, rejected: bool) -> Entry:
    """A call failed: ``rejected`` (the operator said no) stops retries until the desired state
    changes; anything else backs off."""
    failures = entry.failures + 1
    return replace(
        entry,
        failures=failures,
        rejected=rejected,
        retry_at=None if rejected else now + policy.retry_delay(failures),
        last_error=error,
        updated_at=now,
    )


def is_finished(entry: Entry) -> bool:
    """Nothing wanted and nothing registered: the entry can be forgotten."""
    return entry.desired is None and entry.registered is None


def state(entry: Entry, now: float) -> State:
    if entry.rejected:
        return State.REJECTED
    if entry.desired is None:
        return State.DELETING
    if entry.registered == entry.desired:
        if entry.expires_at is not None and now >= entry.expires_at:
            return State.EXPIRED
        return State.REGISTERED
    return State.RETRYING if entry.failures else State.PENDING
