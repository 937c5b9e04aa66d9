"""Admission of new work under load (sans-IO): bounded calls and transactions, the event-loop
lag signal, and log lines rate-limited per reason.

DESIGN: "the overload signal is event-loop lag; the answer is 503 + Retry-After to peers we
trust". A new INVITE (no To tag, RFC 3261 §12.1) or a new out-of-dialog transaction is
admitted, refused with 503 Service Unavailable and Retry-After (§21.5.4, §20.33) when the
source is trusted, or dropped without an answer when it is not (answering a flood is work
and reflection). In-dialog requests (ACK, BYE, re-INVITE), CANCEL and all responses always
flow: they finish work already admitted.

:class:`Admission` counts live calls per untrusted source and per called subscriber with the
keys it admitted; entries are pruned against the endpoint's live calls when a bound is near,
so the tables never outgrow the live calls they describe.
"""

from __future__ import annotations

import enum
from collections.abc import Container
from dataclasses import dataclass, field

from tas.transport.overload import OverloadLimits

__all__ = ["Admission", "LagSignal", "RateLimitedLog", "Verdict"]

CallKey = tuple[str, str, int]  # (Call-ID, From tag, CSeq number) of an incoming INVITE


class Verdict(enum.Enum):
    ADMIT = "admit"
    REJECT = "reject"  # 503 + Retry-After (trusted sources)
    DROP = "drop"  # no answer (untrusted sources)


@dataclass(slots=True)
class LagSignal:
    """Overload from event-loop lag, with hysteresis: set when the smoothed lag (an EWMA
    of the samples, weight ``alpha``) reaches ``threshold``, so one stall of less than
    ``threshold / alpha`` (a GC pause, a busy neighbour) does not refuse calls but lag that
    lasts does; cleared ``hold`` seconds after the samples fell below ``threshold / 2``."""

    threshold: float = 0.25
    hold: float = 2.0
    alpha: float = 0.5
    overloaded: bool = False
    lag: float = 0.0  # last sample
    smoothed: float = 0.0
    peak: float = 0.0  # highest sample since start
    _calm_since: float | None = None

    def observe(self, lag: float, now: float) -> bool:
        self.lag = lag
        if lag > self.peak:
            self.peak = lag
        if self.threshold <= 0:
            return False
        self.smoothed += self.alpha * (lag - self.smoothed)
        if self.smoothed >= self.threshold:
            self.overloaded = True
            self._calm_since = None
        elif self.overloaded:
            if lag >= self.threshold / 2:
                self._calm_since = None
            elif self._calm_since is None:
                self._calm_since = now
            elif now - self._calm_since >= self.hold:
                self.overloaded = False
                self._calm_since = None
        return self.overloaded

    def clear(self) -> None:
        """Forget the lag seen so far (not the peak): the server's own start-up stalls the loop
        (imports, migrations, building the admin app) and that is not overload."""
        self.overloaded, self.smoothed, self._calm_since = False, 0.0, None


@dataclass(slots=True)
class RateLimitedLog:
    """One line per reason per ``interval``: :meth:`note` returns the count to log (the first
    occurrence at once, then what accumulated) or None while the reason is muted;
    :meth:`due` returns the pending counts whose interval is over (call it periodically).
    ``totals`` keeps every count since start (for metrics)."""

    interval: float = 10.0
    totals: dict[str, int] = field(default_factory=dict)
    _pending: dict[str, int] = field(default_factory=dict)
    _next: dict[str, float] = field(default_factory=dict)

    def note(self, reason: str, now: float) -> int | None:
        self.totals[reason] = self.totals.get(reason, 0) + 1
        pending = self._pending.get(reason, 0) + 1
        if now < self._next.get(reason, 0.0):
            self._pending[reason] = pending
            return None
        self._pending[reason] = 0
        self._next[reason] = now + self.interval
        return pending

    def due(self, now: float) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        for reason, pending in self._pending.items():
            if pending and now >= self._next.get(reason, 0.0):
                out.append((reason, pending))
        for reason, _ in out:
            self._pending[reason] = 0
            self._next[reason] = now + self.interval
        return out


class Admission:
    """Decides on new INVITEs and new transactions; pure (the caller passes the counts)."""

    def __init__(self, limits: OverloadLimits) -> None:
        self.limits = limits
        self._by_source: dict[str, list[CallKey]] = {}
        self._by_subscriber: dict[str, list[CallKey]] = {}
        self._tracked = 0

    def invite(
        self,
        source: str,
        subscriber: str,
        trusted: bool,
        live_calls: Container[CallKey] | None,
        n_calls: int,
        n_transactions: int,
        overloaded: bool,
    ) -> tuple[Verdict, str]:
        """A new INVITE from ``source`` to ``subscriber`` (the Request-URI user): the
        verdict and its reason. ``live_calls`` (the endpoint's live incoming calls by
        :data:`CallKey`) prunes the per-source and per-subscriber tables."""
        limits = self.limits
        if live_calls is not None and self._tracked > 2 * limits.max_calls + 1000:
            self.prune(live_calls)  # keeps the tables bounded by the live calls
        reason = ""
        if overloaded:
            reason = "lag"
        elif limits.max_calls and n_calls >= limits.max_calls:
            reason = "calls"
        elif limits.max_transactions and n_transactions >= limits.max_transactions:
            reason = "transactions"
        elif not trusted and _full(
            self._by_source, source, limits.max_calls_per_source, live_calls
        ):
            reason = "source_calls"
        elif _full(self._by_subscriber, subscriber, limits.max_calls_per_subscriber, live_calls):
            reason = "subscriber_calls"
        if reason:
            return (Verdict.REJECT if trusted else Verdict.DROP), reason
        return Verdict.ADMIT, ""

    def admitted(self, source: str, subscriber: str, trusted: bool, key: CallKey) -> None:
        """Count an admitted INVITE (after :meth:`invite` said ADMIT)."""
        if not trusted and self.limits.max_calls_per_source:
            self._by_source.setdefault(source, []).append(key)
            self._tracked += 1
        if self.limits.max_calls_per_subscriber:
            self._by_subscriber.setdefault(subscriber, []).append(key)
            self._tracked += 1

    def request(self, trusted: bool, n_transactions: int, overloaded: bool) -> Verdict:
        """A new out-of-dialog non-INVITE request (OPTIONS, REGISTER, MESSAGE, ...)."""
        limits = self.limits
        if limits.max_transactions and n_transactions >= limits.max_transactions:
            return Verdict.REJECT if trusted else Verdict.DROP
        if overloaded and not trusted:
            return Verdict.DROP
        return Verdict.ADMIT

    def prune(self, live_calls: Container[CallKey]) -> None:
        """Forget every key that is no longer a live call (bounded housekeeping)."""
        for table in (self._by_source, self._by_subscriber):
            for name in list(table):
                keys = [key for key in table[name] if key in live_calls]
                if keys:
                    table[name] = keys
                else:
                    del table[name]
        self._tracked = self.tracked()

    def tracked(self) -> int:
        """Keys held (at most two per live call after a prune)."""
        return sum(map(len, self._by_source.values())) + sum(map(len, self._by_subscriber.values()))


def _full(
    table: dict[str, list[CallKey]],
    name: str,
    bound: int,
    live_calls: Container[CallKey] | None,
) -> bool:
    if not bound:
        return False
    keys = table.get(name)
    if keys is None or len(keys) < bound:
        return False
    if live_calls is not None:  # prune the ended calls, then look again
        keys[:] = [key for key in keys if key in live_calls]
        if not keys:
            del table[name]
            return False
    return len(keys) >= bound
