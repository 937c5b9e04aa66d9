"""Store (SQLite and PostgreSQL) and refresher against a loopback SipBreakout server,
on a virtual clock."""

from __future__ import annotations

import asyncio

import grpc

from registrations.client import RetryPolicy, SipBreakoutClient, Target
from registrations.model import Registration, Route
from registrations.refresher import Outcome, Refresher
from registrations.schedule import Policy, State, state
from registrations.store import RegistrationStore
from tas.store import Database

from .conftest import RunningBreakout

N1, N2 = "+4799990001", "+4799990002"
A = Registration(N1, Route.LOOP, "sips:a.example.com:5061", "11", "22")
A_FORK = Registration(N1, Route.FORK, "sips:a.example.com:5061", "11", "22")
A_MOVED = Registration(N1, Route.LOOP, "sips:b.example.com")
B = Registration(N2, Route.FALLBACK, "sips:a.example.com")
T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


async def _noop_sleep(_: float) -> None:
    return None


def _refresher(db: Database, server: RunningBreakout, clock: Clock, attempts: int = 1) -> Refresher:
    client = SipBreakoutClient(
        Target(server.address, tls=False, authenticated=False),
        retry=RetryPolicy(attempts=attempts),
        sleep=_noop_sleep,
    )
    policy = Policy(refresh_fraction=0.5, retry_initial=5.0, retry_cap=60.0)
    return Refresher(RegistrationStore(db), client, policy=policy, clock=clock)


def _seen(server: RunningBreakout) -> list[tuple[str, str, str, int]]:
    return [(n, r.phone_number.e164, r.sip_uri, r.route_type) for n, r, _ in server.servicer.calls]


async def test_store_round_trip_and_replace(database: Database) -> None:
    store = RegistrationStore(database)
    await store.set_desired(N1, A, T0)
    await store.set_desired(N2, B, T0)
    assert [e.desired for e in await store.entries()] == [A, B]
    assert await store.set_desired("+4711111111", None, T0) is None
    entries = await store.replace_desired([A_FORK], T0 + 1)
    assert [(e.phone_number, e.desired) for e in entries] == [(N1, A_FORK)]  # N2 never registered
    assert await store.get(N2) is None
    again = await store.get(N1)
    assert again is not None and again.desired == A_FORK and again.updated_at == T0 + 1


async def test_upsert_refresh_change_and_delete(
    database: Database, breakout: RunningBreakout
) -> None:
    clock = Clock()
    refresher = _refresher(database, breakout, clock)
    store = refresher.store
    breakout.servicer.ttl = 600
    await store.set_desired(N1, A, clock.now)
    [out] = await refresher.reconcile()
    assert (out.action, out.ttl, out.error) == ("upsert", 600.0, None)
    stored = await store.get(N1)
    assert stored is not None and state(stored, clock.now) is State.REGISTERED
    assert (stored.expires_at, stored.refresh_at) == (T0 + 600, T0 + 300)
    assert await refresher.next_wakeup() == T0 + 300

    clock.now = T0 + 299
    assert await refresher.reconcile() == []
    clock.now = T0 + 300
    [out] = await refresher.reconcile()
    assert out.action == "refresh"
    assert await refresher.next_wakeup() == T0 + 600

    await store.set_desired(N1, A_FORK, clock.now)  # route change: upsert replaces
    [out] = await refresher.reconcile()
    assert out.action == "upsert"
    await store.set_desired(N1, A_MOVED, clock.now)  # uri change: delete old, then upsert
    outs = await refresher.reconcile()
    assert [o.action for o in outs] == ["delete", "upsert"]
    await store.set_desired(N1, None, clock.now)
    [out] = await refresher.reconcile()
    assert out.action == "delete"
    assert await store.entries() == []
    assert breakout.servicer.registered == {}
    assert _seen(breakout) == [
        ("upsert", N1, A.sip_uri, 1),
        ("upsert", N1, A.sip_uri, 1),
        ("upsert", N1, A.sip_uri, 2),
        ("delete", N1, A.sip_uri, 2),
        ("upsert", N1, A_MOVED.sip_uri, 1),
        ("delete", N1, A_MOVED.sip_uri, 1),
    ]
    await refresher.api.close()


async def test_failures_are_stored_and_retried(
    database: Database, breakout: RunningBreakout
) -> None:
    clock = Clock()
    refresher = _refresher(database, breakout, clock)
    await refresher.store.set_desired(N1, A, clock.now)
    breakout.servicer.fail_next = [grpc.StatusCode.UNAVAILABLE]
    [out] = await refresher.reconcile()
    assert out.error is not None and out.error.exit_code == 3
    stored = await refresher.store.get(N1)
    assert stored is not None and state(stored, clock.now) is State.RETRYING
    assert stored.last_error == str(out.error) and stored.retry_at == T0 + 5
    clock.now = T0 + 5
    [out] = await refresher.reconcile()
    assert out.error is None

    breakout.servicer.reject_with = "number not provisioned for breakout"
    await refresher.store.set_desired(N1, A_FORK, clock.now)
    [out] = await refresher.reconcile()
    stored = await refresher.store.get(N1)
    assert stored is not None and state(stored, clock.now) is State.REJECTED
    assert stored.last_error == "number not provisioned for breakout"
    assert stored.registered == A  # the old registration is still in place
    assert await refresher.next_wakeup() is None  # nothing until the wish changes…
    breakout.servicer.reject_with = None
    [out] = await refresher.reconcile(only=[N1], force=True)  # …or someone insists
    assert out.error is None
    await refresher.api.close()


async def test_refresher_task_refreshes_when_woken(
    database: Database, breakout: RunningBreakout
) -> None:
    clock = Clock()
    refresher = _refresher(database, breakout, clock)
    steps: asyncio.Queue[Outcome] = asyncio.Queue()
    refresher.on_outcome = steps.put_nowait
    breakout.servicer.ttl = 60
    await refresher.store.set_desired(N1, A, clock.now)
    await refresher.store.set_desired(N2, B, clock.now)
    await refresher.start()
    try:
        async with asyncio.timeout(5):
            first = [await steps.get() for _ in range(2)]
            clock.now = T0 + 30  # both due for refresh on the virtual clock
            refresher.wake()
            second = [await steps.get() for _ in range(2)]
    finally:
        await refresher.stop()
    assert [o.action for o in first + second] == ["upsert", "upsert", "refresh", "refresh"]
    assert steps.empty()
    entries = await refresher.store.entries()
    assert [e.expires_at for e in entries] == [T0 + 90, T0 + 90]
