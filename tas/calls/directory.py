"""The call directory: registrations and policies in memory, keyed by number (issue #10).

:class:`Directory` answers the call application's per-INVITE questions
(:class:`~tas.calls.sources.RegistrationSource`) from dicts, synchronously: no SQL, no await.
It is filled and kept current from outside:

* :class:`tas.calls.directory_sync.DirectorySync` loads it at start, polls the store's change
  counters every ``poll_interval`` seconds (and wakes on PostgreSQL ``NOTIFY``), reloading a
  table when another process or replica wrote it;
* :meth:`Directory.apply` takes the in-process writes (refresher, ``PolicyStore``) from the
  database's :class:`~tas.store.changes.ChangeFeed` the moment they commit;
* ``live`` sources (the embedded sandbox's table) are asked directly; they are memory too.

Freshness is explicit (:class:`Health`): ``FRESH`` while the store answers; ``STALE`` while it
does not but the last load is younger than ``max_stale`` (calls are served from the last known
state); ``UNAVAILABLE`` before the first load or beyond ``max_stale``: :meth:`find` raises
:class:`~tas.calls.sources.DirectoryUnavailable` and the leg gets 503 + Retry-After
(RFC 3261 §21.5.4), never "no registrations" and the default policy. An outage is logged once
when it starts and once when it ends (with counts), never per INVITE.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from registrations.model import Registration
from registrations.store import EntrySaved, routable
from tas.calls.policy import Policy
from tas.calls.policy_store import PoliciesWritten
from tas.calls.routing import LegInfo
from tas.calls.rules import Rule
from tas.calls.rules_store import RulesWritten
from tas.calls.sources import CombinedRegistrations, DirectoryUnavailable, NumberSource, find_leg
from tas.logs import log_event
from tas.store.changes import Change

__all__ = ["Directory", "DirectoryOptions", "DirectoryStats", "Health"]

log = logging.getLogger(__name__)


class Health(enum.Enum):
    """How far the directory can be trusted right now."""

    FRESH = "fresh"  # the store answered within the last poll
    STALE = "stale"  # the store fails; serving the last known state (younger than max_stale)
    UNAVAILABLE = "unavailable"  # never loaded, or the last load is older than max_stale


@dataclass(frozen=True, slots=True)
class DirectoryOptions:
    """``poll_interval``: seconds between change-counter queries; ``max_stale``: how long the
    last known state is served while the store fails; ``retry_after``: the 503's
    ``Retry-After`` in seconds."""

    poll_interval: float = 2.0
    max_stale: float = 300.0
    retry_after: int = 30

    def __post_init__(self) -> None:
        if not self.poll_interval > 0 or not self.max_stale > self.poll_interval:
            raise ValueError(
                f"need 0 < poll_interval < max_stale: {self.poll_interval}, {self.max_stale}"
            )
        if self.retry_after < 0:
            raise ValueError(f"retry_after must be >= 0: {self.retry_after}")


@dataclass(slots=True)
class DirectoryStats:
    """Counters for ``/metrics`` (:class:`tas.metrics.DirectoryCollector`)."""

    loads: int = 0  # successful full reloads of a table
    store_failures: int = 0  # failed loads/polls
    outages: int = 0  # runs of failures (each logged once)
    refused: int = 0  # legs answered 503 because the directory was unavailable
    registrations: int = 0  # numbers with a stored registration
    policies: int = 0  # numbers with stored policies


class _Table:
    """The stored registrations, one tuple per number (a :class:`NumberSource`)."""

    def __init__(self) -> None:
        self.by_number: dict[str, tuple[Registration, ...]] = {}

    def registrations_for(self, number: str) -> Sequence[Registration]:
        return self.by_number.get(number, ())


class Directory:
    """In-memory registrations + policies with a freshness state; see the module doc."""

    def __init__(
        self,
        live: Sequence[NumberSource] = (),
        *,
        options: DirectoryOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options or DirectoryOptions()
        self.clock = clock
        self.stats = DirectoryStats()
        self._table = _Table()
        self._source: NumberSource = CombinedRegistrations(self._table, *live)
        self._policies: dict[str, tuple[Policy, ...]] = {}
        self._rules: dict[str, tuple[Rule, ...]] = {}
        self.confirmed_at: float | None = None  # the store last answered (load or poll)
        self.failing_since: float | None = None  # first failure of the current outage
        self._outage_refused = 0
        self._outage_failures = 0
        self._expired_logged = False

    # -- the hot path (RegistrationSource) ------------------------------------------------------

    def health(self, now: float | None = None) -> Health:
        now = self.clock() if now is None else now
        if self.confirmed_at is None or now - self.confirmed_at > self.options.max_stale:
            return Health.UNAVAILABLE
        return Health.FRESH if self.failing_since is None else Health.STALE

    def find(self, request_user: str | None, caller_user: str | None) -> LegInfo | None:
        """Decode a leg from memory; :class:`DirectoryUnavailable` when we cannot know."""
        if self.health() is Health.UNAVAILABLE:
            self._note_expired(self.clock())
            self.stats.refused += 1
            self._outage_refused += 1
            if self._outage_refused == 1:
                log_event(
                    log,
                    "legs_refused",
                    level=logging.WARNING,
                    status=503,
                    retry_after=self.options.retry_after,
                    reason=self._why(),
                )
            raise DirectoryUnavailable(self.options.retry_after, self._why())
        return find_leg(self._source, request_user, caller_user)

    def policies_for(self, number: str) -> Sequence[Policy]:
        return self._policies.get(number, ())

    def rules_for(self, number: str) -> Sequence[Rule]:
        return self._rules.get(number, ())

    def registrations_for(self, number: str) -> Sequence[Registration]:
        """Stored first, then the live sources; first wins per route."""
        return self._source.registrations_for(number)

    # -- filled by the keeper -------------------------------------------------------------------

    def replace_registrations(self, registrations: Iterable[Registration]) -> None:
        """The whole stored registration table (a reload)."""
        by_number: dict[str, list[Registration]] = {}
        for reg in registrations:
            by_number.setdefault(reg.phone_number, []).append(reg)
        self._table.by_number = {n: tuple(regs) for n, regs in by_number.items()}
        self.stats.registrations = len(self._table.by_number)
        self.stats.loads += 1

    def replace_policies(self, policies: Iterable[Policy]) -> None:
        """The whole stored policy table (a reload)."""
        by_number: dict[str, list[Policy]] = {}
        for policy in policies:
            by_number.setdefault(policy.number, []).append(policy)
        self._policies = {n: tuple(p) for n, p in by_number.items()}
        self.stats.policies = len(self._policies)
        self.stats.loads += 1

    def replace_rules(self, rules: Iterable[Rule]) -> None:
        """The whole stored call-rule table (a reload), in each number's order."""
        by_number: dict[str, list[Rule]] = {}
        for rule in rules:
            by_number.setdefault(rule.number, []).append(rule)
        self._rules = {n: tuple(r) for n, r in by_number.items()}
        self.stats.loads += 1

    def apply(self, change: Change) -> None:
        """A committed in-process write (:class:`~tas.store.changes.ChangeFeed` subscriber)."""
        if isinstance(change, EntrySaved):
            reg = routable(change.entry)
            if reg is None:
                self._table.by_number.pop(change.phone_number, None)
            else:
                self._table.by_number[change.phone_number] = (reg,)
            self.stats.registrations = len(self._table.by_number)
        elif isinstance(change, PoliciesWritten):
            if change.number is None:
                self.replace_policies(change.policies)
            elif change.policies:
                self._policies[change.number] = change.policies
            else:
                self._policies.pop(change.number, None)
            self.stats.policies = len(self._policies)
        elif isinstance(change, RulesWritten):
            if change.rules:
                self._rules[change.number] = change.rules
            else:
                self._rules.pop(change.number, None)

    def confirmed(self, now: float | None = None) -> None:
        """The store answered: the directory is current as of ``now``; ends an outage."""
        now = self.clock() if now is None else now
        if self.failing_since is not None:
            log_event(
                log,
                "directory_recovered",
                level=logging.WARNING,
                outage_s=round(now - self.failing_since, 1),
                failures=self._outage_failures,
                refused=self._outage_refused,
            )
        elif self.confirmed_at is None:
            log_event(
                log,
                "directory_loaded",
                registrations=self.stats.registrations,
                policies=self.stats.policies,
            )
        self.confirmed_at = now
        self.failing_since = None
        self._outage_refused = 0
        self._expired_logged = False

    def failed(self, error: BaseException, now: float | None = None) -> None:
        """The store did not answer; logged once per outage (and once more on expiry)."""
        now = self.clock() if now is None else now
        self.stats.store_failures += 1
        if self.failing_since is None:
            self.failing_since = now
            self._outage_failures = 0
            self.stats.outages += 1
            serving = "nothing" if self.confirmed_at is None else "last known (stale)"
            log_event(
                log,
                "directory_store_unavailable",
                level=logging.ERROR,
                serving=serving,
                max_stale_s=self.options.max_stale,
                error=error,
            )
        self._outage_failures += 1
        if self.health(now) is Health.UNAVAILABLE:
            self._note_expired(now)

    def _note_expired(self, now: float) -> None:
        """Log once that the last known state got too old to serve."""
        if self.confirmed_at is not None and not self._expired_logged:
            self._expired_logged = True
            log_event(
                log,
                "directory_expired",
                level=logging.ERROR,
                age_s=round(now - self.confirmed_at, 1),
                max_stale_s=self.options.max_stale,
                effect="legs now get 503",
            )

    def _why(self) -> str:
        if self.confirmed_at is None:
            return "registrations not loaded yet"
        return f"registrations stale for {self.clock() - self.confirmed_at:.0f} s"
