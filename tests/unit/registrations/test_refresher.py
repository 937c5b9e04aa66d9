"""The refresher's reconcile decisions on a virtual clock, with an in-memory store and a
scripted operator: re-assert every registration on start (the store's "registered" is only a
cache), heal "rejected" rows, and forget a registration a delete finds NOT_FOUND."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any, cast

import pytest

from registrations.errors import OperatorNotFound, OperatorRejected, OperatorUnreachable
from registrations.model import Registration, Route
from registrations.refresher import Refresher
from registrations.schedule import Entry, Policy, State, after_upsert, is_finished, state
from registrations.store import RegistrationStore

T0 = 1_700_000_000.0
N1, N2, N3 = "+4799990001", "+4799990002", "+4799990003"
URI, OLD_URI = "sips:tas.example.com:5061", "sips:old.example.com"


class MemoryStore:
    """The part of :class:`RegistrationStore` the refresher uses, in a dict."""

    def __init__(self, *entries: Entry) -> None:
        self.rows = {e.phone_number: e for e in entries}

    async def create_schema(self) -> None:
        return None

    async def entries(self) -> list[Entry]:
        return [self.rows[n] for n in sorted(self.rows)]

    async def get(self, phone_number: str) -> Entry | None:
        return self.rows.get(phone_number)

    async def save(self, entry: Entry) -> None:
        if is_finished(entry):
            self.rows.pop(entry.phone_number, None)
        else:
            self.rows[entry.phone_number] = entry


class Operator:
    """Answers each call from a script (default: accept, ttl 3600) and records it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.errors: dict[tuple[str, str], Exception] = {}
        self.called = asyncio.Event()

    async def upsert(self, reg: Registration) -> float:
        return self._answer("upsert", reg, 3600.0)

    async def delete(self, reg: Registration) -> None:
        self._answer("delete", reg, None)

    async def close(self) -> None:
        return None

    def _answer(self, verb: str, reg: Registration, result: Any) -> Any:
        self.calls.append((verb, reg.phone_number, reg.sip_uri))
        self.called.set()
        error = self.errors.get((verb, reg.phone_number))
        if error is not None:
            raise error
        return result


def reg(number: str, uri: str = URI, route: Route = Route.LOOP) -> Registration:
    return Registration(number, route, uri)


def registered(number: str, at: float = T0, uri: str = URI) -> Entry:
    """An entry the operator accepted at ``at`` (refresh due at ``at`` + 1800)."""
    r = reg(number, uri)
    return after_upsert(Entry(number, r), r, 3600.0, at, Policy())


def refresher(store: MemoryStore, api: Operator, now: float) -> Refresher:
    return Refresher(cast(RegistrationStore, store), api, clock=lambda: now)


async def test_reconcile_all_re_upserts_what_is_not_due() -> None:
    store, api = MemoryStore(registered(N1), registered(N2)), Operator()
    r = refresher(store, api, T0 + 60)
    assert await r.reconcile() == []  # nothing due: the ordinary pass calls nobody
    outcomes = await r.reconcile_all()
    assert [(o.phone_number, o.action, o.error) for o in outcomes] == [
        (N1, "refresh", None),
        (N2, "refresh", None),
    ]
    assert api.calls == [("upsert", N1, URI), ("upsert", N2, URI)]
    assert store.rows[N1].expires_at == T0 + 60 + 3600  # 3600 s from the last upsert
    assert store.rows[N1].refresh_at == T0 + 60 + 1800


async def test_reconcile_all_heals_a_rejected_upsert() -> None:
    stuck = Entry(N1, reg(N1), failures=1, rejected=True, last_error="no", updated_at=T0)
    store, api = MemoryStore(stuck), Operator()
    r = refresher(store, api, T0 + 10)
    assert await r.reconcile() == []  # a rejection waits for a change ...
    (outcome,) = await r.reconcile_all()  # ... except on start
    assert (outcome.action, outcome.error) == ("upsert", None)
    healed = store.rows[N1]
    assert (healed.rejected, healed.last_error, healed.failures) == (False, None, 0)
    assert state(healed, T0 + 10) is State.REGISTERED


async def test_a_rejected_upsert_stays_rejected_when_refused_again() -> None:
    stuck = Entry(N1, reg(N1), failures=1, rejected=True, last_error="no", updated_at=T0)
    store, api = MemoryStore(stuck), Operator()
    api.errors[("upsert", N1)] = OperatorRejected("still no")
    (outcome,) = await refresher(store, api, T0 + 10).reconcile_all()
    assert isinstance(outcome.error, OperatorRejected)
    assert (store.rows[N1].rejected, store.rows[N1].last_error) == (True, "still no")


async def test_delete_not_found_forgets_the_row() -> None:
    unwanted = Entry(N1, None, reg(N1), T0, T0 + 3600, T0 + 1800, updated_at=T0)
    store, api = MemoryStore(unwanted), Operator()
    api.errors[("delete", N1)] = OperatorNotFound("no registration of sips:… for +47…")
    (outcome,) = await refresher(store, api, T0 + 5).reconcile()
    assert (outcome.action, outcome.error) == ("delete", None)
    assert outcome.note is not None and outcome.note.startswith("already gone at the operator")
    assert store.rows == {}


async def test_stuck_rejected_delete_is_retried_on_start_and_removed() -> None:
    stuck = Entry(
        N1, None, reg(N1), T0, T0 + 3600, T0 + 1800, failures=1, rejected=True, last_error="x"
    )
    store, api = MemoryStore(stuck), Operator()
    r = refresher(store, api, T0 + 60)
    assert await r.reconcile() == []  # rejected: would wait for the lapse at T0 + 3600
    api.errors[("delete", N1)] = OperatorNotFound("gone")
    (outcome,) = await r.reconcile_all()
    assert outcome.action == "delete" and outcome.error is None
    assert store.rows == {} and api.calls == [("delete", N1, URI)]


async def test_confirmed_delete_removes_the_row() -> None:
    unwanted = Entry(N1, None, reg(N1), T0, T0 + 3600, T0 + 1800, rejected=True)
    store, api = MemoryStore(unwanted), Operator()
    await refresher(store, api, T0 + 60).reconcile_all()
    assert store.rows == {} and api.calls == [("delete", N1, URI)]


async def test_uri_change_after_a_lost_registration_deletes_then_upserts() -> None:
    moved = Entry(N1, reg(N1), reg(N1, OLD_URI), T0, T0 + 3600, T0 + 1800, updated_at=T0)
    store, api = MemoryStore(moved), Operator()
    api.errors[("delete", N1)] = OperatorNotFound("gone")
    outcomes = await refresher(store, api, T0 + 60).reconcile_all()
    assert [o.action for o in outcomes] == ["delete", "upsert"]
    assert api.calls == [("delete", N1, OLD_URI), ("upsert", N1, URI)]
    assert store.rows[N1].registered == reg(N1)


async def test_unreachable_on_start_backs_off_like_any_failure() -> None:
    store, api = MemoryStore(registered(N1), registered(N2)), Operator()
    api.errors[("upsert", N1)] = OperatorUnreachable("down")
    outcomes = await refresher(store, api, T0 + 60).reconcile_all()
    assert [(o.phone_number, o.error is None) for o in outcomes] == [(N1, False), (N2, True)]
    assert store.rows[N1].retry_at == T0 + 60 + Policy().retry_initial
    assert store.rows[N1].registered == reg(N1)  # still believed until its expiry


async def test_lapsed_unwanted_registration_is_dropped_without_a_call() -> None:
    old = Entry(N3, None, reg(N3), T0, T0 + 3600, T0 + 1800, rejected=True)
    store, api = MemoryStore(old), Operator()
    outcomes = await refresher(store, api, T0 + 3600).reconcile_all()
    assert [o.action for o in outcomes] == ["lapsed"]
    assert store.rows == {} and api.calls == []


async def test_run_starts_with_reconcile_all_and_logs_it(caplog: pytest.LogCaptureFixture) -> None:
    store, api = MemoryStore(registered(N1)), Operator()
    r = refresher(store, api, T0 + 60)  # refresh due at T0 + 1800: not due now
    caplog.set_level(logging.INFO, logger="registrations.refresher")
    task = asyncio.create_task(r.run())
    try:
        await asyncio.wait_for(api.called.wait(), 5)
        await asyncio.sleep(0)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert api.calls == [("upsert", N1, URI)]
    lines = [rec.getMessage() for rec in caplog.records]
    assert (
        "event=registrations_reconciled reason=start upserted=1 deleted=0 lapsed=0 failed=0"
        in lines
    )


async def test_a_desired_change_during_the_call_is_not_undone() -> None:
    """``tas register upsert`` (another process) moves N1 to a new URI while the start-up
    refresh of the old one is in flight: the refresher's save keeps the new wish, and its
    next step deletes the old URI."""
    store, api = MemoryStore(registered(N1, uri=OLD_URI)), Operator()
    original = api.upsert

    async def upsert_while_the_wish_changes(r: Registration) -> float:
        moved = replace(store.rows[N1], desired=reg(N1), updated_at=T0 + 61)
        store.rows[N1] = moved
        return await original(r)

    api.upsert = upsert_while_the_wish_changes  # type: ignore[method-assign]
    outcomes = await refresher(store, api, T0 + 60).reconcile_all()
    assert [o.action for o in outcomes] == ["refresh", "delete"]
    assert api.calls == [("upsert", N1, OLD_URI), ("delete", N1, OLD_URI)]
    entry = store.rows[N1]
    assert (entry.desired, entry.registered) == (reg(N1), None)  # the new URI is next
