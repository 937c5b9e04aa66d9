"""The sans-IO registration lifecycle on a virtual clock."""

from __future__ import annotations

from dataclasses import replace

from registrations.model import Registration, Route
from registrations.schedule import (
    Delete,
    Entry,
    Policy,
    State,
    Upsert,
    after_delete,
    after_failure,
    after_upsert,
    drop_lapsed,
    due_at,
    is_finished,
    next_action,
    state,
    with_desired,
)

N = "+4799990000"
A = Registration(N, Route.LOOP, "sips:a.example.com")
A_FORK = replace(A, route=Route.FORK)
B = Registration(N, Route.LOOP, "sips:b.example.com")
POLICY = Policy(refresh_fraction=0.5, retry_initial=5.0, retry_cap=60.0)
T0 = 1_700_000_000.0


def registered(reg: Registration = A, at: float = T0, ttl: float = 3600.0) -> Entry:
    return after_upsert(with_desired(None, N, reg, at), reg, ttl, at, POLICY)


def test_new_registration_is_upserted_at_once() -> None:
    entry = with_desired(None, N, A, T0)
    assert next_action(entry) == Upsert(A)
    assert due_at(entry) == 0.0
    assert state(entry, T0) is State.PENDING


def test_refresh_at_half_the_returned_ttl_before_expiry() -> None:
    entry = registered(ttl=3600.0)
    assert state(entry, T0) is State.REGISTERED
    assert next_action(entry) == Upsert(A, refresh=True)
    assert due_at(entry) == T0 + 1800.0
    assert entry.expires_at == T0 + 3600.0
    short = registered(ttl=60.0)
    assert due_at(short) == T0 + 30.0  # the operator's time_to_live wins over 3600


def test_refresh_extends_expiry() -> None:
    entry = registered()
    later = T0 + 1800.0
    entry = after_upsert(entry, A, 3600.0, later, POLICY)
    assert entry.expires_at == later + 3600.0
    assert due_at(entry) == later + 1800.0


def test_changed_route_is_upserted_over_the_old_one() -> None:
    entry = with_desired(registered(), N, A_FORK, T0 + 10)
    assert next_action(entry) == Upsert(A_FORK)
    assert due_at(entry) == 0.0
    assert state(entry, T0 + 10) is State.PENDING


def test_changed_uri_deletes_the_old_registration_first() -> None:
    entry = with_desired(registered(), N, B, T0 + 10)
    assert next_action(entry) == Delete(A)
    entry = after_delete(entry, T0 + 11)
    assert next_action(entry) == Upsert(B)


def test_removed_registration_is_deleted_then_finished() -> None:
    entry = with_desired(registered(), N, None, T0 + 10)
    assert next_action(entry) == Delete(A)
    assert state(entry, T0 + 10) is State.DELETING
    done = after_delete(entry, T0 + 11)
    assert next_action(done) is None and due_at(done) is None
    assert is_finished(done)


def test_transport_failures_back_off_exponentially_up_to_the_cap() -> None:
    entry = with_desired(None, N, A, T0)
    delays = []
    for _ in range(6):
        entry = after_failure(entry, "unreachable", T0, POLICY, rejected=False)
        assert due_at(entry) is not None
        delays.append(due_at(entry) - T0)  # type: ignore[operator]
    assert delays == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]
    assert state(entry, T0) is State.RETRYING
    assert entry.last_error == "unreachable"
    ok = after_upsert(entry, A, 3600.0, T0 + 100, POLICY)
    assert (ok.failures, ok.last_error, ok.retry_at) == (0, None, None)


def test_failed_refresh_keeps_registration_until_it_expires() -> None:
    entry = registered()
    entry = after_failure(entry, "unreachable", T0 + 1800, POLICY, rejected=False)
    assert state(entry, T0 + 1800) is State.REGISTERED
    assert entry.last_error == "unreachable"
    assert due_at(entry) == T0 + 1805.0
    assert state(entry, T0 + 3600) is State.EXPIRED


def test_rejection_waits_for_a_change() -> None:
    entry = after_failure(with_desired(None, N, A, T0), "no", T0, POLICY, rejected=True)
    assert state(entry, T0) is State.REJECTED
    assert due_at(entry) is None
    assert with_desired(entry, N, A, T0 + 1) is entry  # same wish: still rejected
    changed = with_desired(entry, N, A_FORK, T0 + 1)
    assert (changed.rejected, changed.failures, due_at(changed)) == (False, 0, 0.0)


def test_unwanted_registration_past_its_ttl_is_dropped_without_a_call() -> None:
    entry = with_desired(registered(ttl=100.0), N, None, T0 + 10)
    assert drop_lapsed(entry, T0 + 99) is entry
    dropped = drop_lapsed(entry, T0 + 100)
    assert dropped.registered is None and is_finished(dropped)
    wanted = registered(ttl=100.0)
    assert drop_lapsed(wanted, T0 + 500) is wanted  # still wanted: refresh instead


def test_refused_deletion_is_retried_only_when_it_lapses() -> None:
    entry = with_desired(registered(ttl=100.0), N, None, T0 + 10)
    entry = after_failure(entry, "no such registration", T0 + 10, POLICY, rejected=True)
    assert due_at(entry) == T0 + 100.0
    assert is_finished(drop_lapsed(entry, T0 + 100.0))
