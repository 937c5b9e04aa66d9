"""The registration refresher: asyncio adapter around :mod:`registrations.schedule`.

:meth:`Refresher.reconcile` runs every action that is due (or, forced, the pending action of
the given numbers) against the operator and stores the outcome; :meth:`Refresher.run` repeats
it, sleeping until the earliest next deadline or until :meth:`Refresher.wake`. ``tas serve``
calls :meth:`start` / :meth:`stop`; ``tas register run`` runs it alone.

The SipBreakout API has no List/Get RPC (wgtwo-api.md §3), so "registered" in the store is a
cache of what the operator last accepted, not a fact: the operator (or the embedded sandbox)
may have lost it while we were down. :meth:`Refresher.reconcile_all` therefore runs every
entry's pending action at once, due or not: each wanted registration is re-upserted (which
also heals a "rejected" row once the operator accepts it), each unwanted one deleted. The
loop does it once on start. A delete the operator answers with ``NOT_FOUND`` means the
registration is gone already: the local row goes too instead of staying "rejected".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from registrations.errors import OperatorError, OperatorNotFound, OperatorRejected
from registrations.model import Registration
from registrations.schedule import (
    Delete,
    Entry,
    Policy,
    Upsert,
    after_delete,
    after_failure,
    after_upsert,
    drop_lapsed,
    due_at,
    next_action,
    with_desired,
)
from registrations.store import RegistrationStore
from tas.logs import log_event

if TYPE_CHECKING:
    from tas.config import Settings
    from tas.store import Database

__all__ = ["BreakoutApi", "Outcome", "Refresher"]

log = logging.getLogger(__name__)


class BreakoutApi(Protocol):
    """What the refresher needs from :class:`registrations.client.SipBreakoutClient`."""

    async def upsert(self, reg: Registration) -> float: ...

    async def delete(self, reg: Registration) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """One step taken for one number: ``upsert``, ``refresh``, ``delete`` or ``lapsed``."""

    phone_number: str
    action: str
    entry: Entry  # the entry after the step
    error: OperatorError | None = None
    ttl: float | None = None
    note: str | None = None  # e.g. a delete the operator answered NOT_FOUND


class Refresher:
    """Keeps the operator's registrations equal to the stored desired state."""

    def __init__(
        self,
        store: RegistrationStore,
        api: BreakoutApi,
        *,
        policy: Policy = Policy(),  # noqa: B008 (frozen, immutable)
        clock: Callable[[], float] = time.time,
        max_sleep: float = 300.0,
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> None:
        self.store = store
        self.api = api
        self.policy = policy
        self.clock = clock
        self.max_sleep = max_sleep
        self.on_outcome = on_outcome  # called after each stored step (metrics, tests)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, db: Database, *, clock: Callable[[], float] = time.time
    ) -> Refresher:
        """Store on ``db``, client and policy from ``settings.operator``."""
        from registrations.client import SipBreakoutClient

        policy = Policy(refresh_fraction=settings.operator.refresh_fraction)
        client = SipBreakoutClient.from_settings(settings)
        return cls(RegistrationStore(db), client, policy=policy, clock=clock)

    async def reconcile(
        self,
        *,
        now: float | None = None,
        only: Collection[str] | None = None,
        force: bool = False,
    ) -> list[Outcome]:
        """Run what is due at ``now`` (default: the clock). ``only`` limits it to some numbers;
        ``force`` runs their pending action even if not due, rejected or backing off."""
        outcomes: list[Outcome] = []
        for entry in await self.store.entries():
            if only is None or entry.phone_number in only:
                outcomes += await self._advance(entry, self.clock() if now is None else now, force)
        return outcomes

    async def reconcile_all(
        self, *, now: float | None = None, reason: str = "start"
    ) -> list[Outcome]:
        """Run every entry's pending action now, due or not (see the module docstring): the
        operator's state is re-asserted without trusting our cached "registered"."""
        outcomes = await self.reconcile(now=now, force=True)
        failed = [o for o in outcomes if o.error is not None]
        log_event(
            log,
            "registrations_reconciled",
            reason=reason,
            upserted=sum(o.action in ("upsert", "refresh") and o.error is None for o in outcomes),
            deleted=sum(o.action == "delete" and o.error is None for o in outcomes),
            lapsed=sum(o.action == "lapsed" for o in outcomes),
            failed=len(failed),
        )
        return outcomes

    async def next_wakeup(self) -> float | None:
        """The earliest time something becomes due, or ``None``."""
        times = [t for e in await self.store.entries() if (t := due_at(e)) is not None]
        return min(times, default=None)

    def wake(self) -> None:
        """Reconsider now (the desired state changed)."""
        self._wake.set()

    async def run(self) -> None:
        """Reconcile everything once (:meth:`reconcile_all`), then what is due, forever;
        sleeps until the next deadline (at most ``max_sleep``)."""
        await self.store.create_schema()
        first = True
        while True:
            self._wake.clear()
            try:
                if first:
                    first = False
                    await self.reconcile_all()
                else:
                    await self.reconcile()
                wakeup = await self.next_wakeup()
            except Exception:  # the database or a bug: log, keep the loop alive
                log.exception("registration refresh failed")
                wakeup = self.clock() + self.policy.retry_initial
            delay = self.max_sleep if wakeup is None else wakeup - self.clock()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), min(max(delay, 0.0), self.max_sleep))

    async def start(self) -> None:
        """Run :meth:`run` as a background task."""
        if self._task is None:
            await self.store.create_schema()
            self._task = asyncio.create_task(self.run(), name="registration-refresher")

    async def stop(self) -> None:
        """Cancel the background task and close the client."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.api.close()

    async def _advance(self, entry: Entry, now: float, force: bool) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for step in range(2):  # a sip_uri change is a delete, then an upsert
            lapsed = drop_lapsed(entry, now)
            if lapsed != entry:
                entry = lapsed
                await self.store.save(entry)
                outcomes.append(Outcome(entry.phone_number, "lapsed", entry))
            action = next_action(entry)
            when = due_at(entry)
            if action is None:
                await self.store.save(entry)  # drops a finished entry
                break
            forced = force and step == 0  # only the first call is forced
            if not forced and (when is None or when > now):
                break
            outcome = await self._keep_newer_desired(entry, await self._perform(entry, action, now))
            entry = outcome.entry
            await self.store.save(entry)
            outcomes.append(outcome)
            if self.on_outcome is not None:
                self.on_outcome(outcome)
            log.info(
                "%s %s: %s",
                outcome.action,
                entry.phone_number,
                outcome.error or outcome.note or f"ok (ttl {outcome.ttl})",
            )
            if outcome.error is not None:
                break
        return outcomes

    async def _keep_newer_desired(self, before: Entry, outcome: Outcome) -> Outcome:
        """A desired state written while the call was in flight (``tas register`` in another
        process, the demo, a replica) wins over the one this step started from, so saving
        the step's result does not undo it; the next step then works towards it."""
        current = await self.store.get(before.phone_number)
        if current is None or current.desired == before.desired:
            return outcome
        after = outcome.entry
        merged = with_desired(after, after.phone_number, current.desired, after.updated_at)
        return replace(outcome, entry=merged)

    async def _perform(self, entry: Entry, action: Upsert | Delete, now: float) -> Outcome:
        number = entry.phone_number
        if isinstance(action, Delete):
            try:
                await self.api.delete(action.registration)
            except OperatorNotFound as exc:  # the operator holds none: already gone
                note = f"already gone at the operator ({exc})"
                return Outcome(number, "delete", after_delete(entry, now), note=note)
            except OperatorError as exc:
                failed = after_failure(
                    entry, str(exc), now, self.policy, rejected=isinstance(exc, OperatorRejected)
                )
                return Outcome(number, "delete", failed, exc)
            return Outcome(number, "delete", after_delete(entry, now))
        verb = "refresh" if action.refresh else "upsert"
        try:
            ttl = await self.api.upsert(action.registration)
        except OperatorError as exc:
            failed = after_failure(
                entry, str(exc), now, self.policy, rejected=isinstance(exc, OperatorRejected)
            )
            return Outcome(number, verb, failed, exc)
        done = after_upsert(entry, action.registration, ttl, now, self.policy)
        return Outcome(number, verb, done, ttl=ttl)
