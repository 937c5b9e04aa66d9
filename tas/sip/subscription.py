"""Subscriptions of a notifier (RFC 6665): expiry, refresh, unsubscribe, timeout — sans-IO.

:class:`SubscriptionTable` holds the dialogs created by SUBSCRIBE requests we accepted, keyed by
(Call-ID, subscriber's From tag) (RFC 6665 §4.1.2.1: a SUBSCRIBE outside a dialog creates one; a
refresh arrives inside it, carrying our To tag). Every call takes ``now``; it arms no timer:
the adapter asks :meth:`SubscriptionTable.next_deadline` and calls :meth:`expire`.

* :func:`grant_expires`: RFC 6665 §4.2.1.1 — ``Expires: 0`` unsubscribes; a non-zero value
  below the minimum is refused with 423 Interval Too Brief and ``Min-Expires``; a longer value
  is shortened to the maximum; no header takes the event package's default.
* :meth:`SubscriptionTable.subscribe`: a new subscription, a refresh (new expiry) or an
  unsubscribe; each answer is followed by a NOTIFY (§4.2.1.2 — also for ``Expires: 0``, with
  ``Subscription-State: terminated``).
* :func:`state_header`: the ``Subscription-State`` value (§8.2.3): ``active;expires=N`` with
  the seconds left, ``terminated;reason=timeout`` or ``reason=noresource``/``deactivated``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ExpiryBounds",
    "IntervalTooBrief",
    "Subscription",
    "SubscriptionTable",
    "TooManySubscriptions",
    "grant_expires",
    "state_header",
]

SubKey = tuple[str, str]  # (Call-ID, subscriber's From tag)
Termination = Literal["timeout", "deactivated", "noresource", "rejected"]


@dataclass(frozen=True, slots=True)
class ExpiryBounds:
    """Seconds a subscription may last (RFC 6665 §4.2.1.1, RFC 3842 §6: default 3600)."""

    minimum: int = 60
    maximum: int = 3600
    default: int = 3600


class IntervalTooBrief(Exception):
    """423: the requested ``Expires`` is shorter than ``minimum`` (sent as ``Min-Expires``)."""

    def __init__(self, minimum: int) -> None:
        super().__init__(f"Expires below {minimum}")
        self.minimum = minimum


class TooManySubscriptions(Exception):
    """The table is full (the adapter answers 503 with Retry-After)."""


def grant_expires(requested: int | None, bounds: ExpiryBounds) -> int:
    """The granted duration: 0 (unsubscribe), the default, or ``requested`` capped above;
    :class:`IntervalTooBrief` below ``bounds.minimum``."""
    if requested is None:
        return bounds.default
    if requested == 0:
        return 0
    if requested < bounds.minimum:
        raise IntervalTooBrief(bounds.minimum)
    return min(requested, bounds.maximum)


@dataclass(slots=True)
class Subscription:
    """One accepted subscription: the notifier's side of its dialog (RFC 6665 §4.1.2.1)."""

    call_id: str
    remote_tag: str
    local_tag: str
    resource: str  # what is watched: for message-summary, the mailbox number
    event: str
    remote_uri: str  # the subscriber's From (our NOTIFY's To, with ``remote_tag``)
    local_uri: str  # the SUBSCRIBE's To (our NOTIFY's From, with ``local_tag``)
    contact: str  # the subscriber's Contact URI: the NOTIFY's Request-URI
    expires_at: float
    user: str  # the authenticated user
    remote_cseq: int = 0
    local_cseq: int = 0
    state: Literal["active", "terminated"] = "active"
    reason: Termination | None = None

    @property
    def key(self) -> SubKey:
        return (self.call_id, self.remote_tag)

    def next_cseq(self) -> int:
        """The CSeq number of our next NOTIFY (increasing within the dialog, §12.2.1.1)."""
        self.local_cseq += 1
        return self.local_cseq


def state_header(sub: Subscription, now: float) -> str:
    """``Subscription-State`` of a NOTIFY sent at ``now`` (RFC 6665 §4.1.3, §8.2.3)."""
    if sub.state == "terminated":
        return f"terminated;reason={sub.reason or 'deactivated'}"
    left = max(0, math.ceil(sub.expires_at - now))
    return f"active;expires={left}"


@dataclass(slots=True)
class SubscriptionTable:
    """Accepted subscriptions, bounded in number; held in memory (soft state: the subscriber
    refreshes it, RFC 6665 §4.1.2.2, so a restart loses nothing a refresh does not restore)."""

    bounds: ExpiryBounds = field(default_factory=ExpiryBounds)
    limit: int = 10000
    _subs: dict[SubKey, Subscription] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self._subs)

    def get(self, call_id: str, remote_tag: str) -> Subscription | None:
        return self._subs.get((call_id, remote_tag))

    def subscribe(
        self, existing: Subscription | None, new: Subscription | None, expires: int, now: float
    ) -> Subscription:
        """Apply a granted ``expires`` (see :func:`grant_expires`) to ``existing`` (a refresh
        or unsubscribe inside its dialog) or add ``new`` (its ``expires_at`` is overwritten).

        With ``expires == 0`` the subscription is returned terminated (reason ``timeout``, as
        RFC 6665 §4.2.1.4 uses for an unsubscribe) and removed; the caller sends its last
        NOTIFY."""
        sub = existing or new
        if sub is None:
            raise ValueError("give an existing or a new subscription")
        if existing is None and len(self._subs) >= self.limit:
            raise TooManySubscriptions
        sub.expires_at = now + expires
        if expires == 0:
            sub.state, sub.reason = "terminated", "timeout"
            self._subs.pop(sub.key, None)
        else:
            self._subs[sub.key] = sub
        return sub

    def terminate(self, sub: Subscription, reason: Termination) -> Subscription:
        """End ``sub`` on our side (e.g. a NOTIFY answered 481); the caller may NOTIFY."""
        sub.state, sub.reason = "terminated", reason
        self._subs.pop(sub.key, None)
        return sub

    def expire(self, now: float) -> list[Subscription]:
        """Remove and return the subscriptions whose time is up (``terminated;reason=timeout``,
        §4.1.3: the notifier sends a final NOTIFY)."""
        gone = [s for s in self._subs.values() if s.expires_at <= now]
        for sub in gone:
            self.terminate(sub, "timeout")
        return gone

    def next_deadline(self) -> float | None:
        """When :meth:`expire` next has something to do."""
        return min((s.expires_at for s in self._subs.values()), default=None)

    def of_resource(self, resource: str) -> list[Subscription]:
        """The active subscriptions watching ``resource``."""
        return [s for s in self._subs.values() if s.resource == resource]

    def resources(self) -> Iterable[str]:
        """Every watched resource, once."""
        return {s.resource for s in self._subs.values()}
