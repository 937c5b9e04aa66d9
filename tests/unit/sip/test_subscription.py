"""RFC 6665 subscription table: expiry bounds, refresh, unsubscribe, timeout (virtual clock)."""

from __future__ import annotations

import pytest

from tas.sip.subscription import (
    ExpiryBounds,
    IntervalTooBrief,
    Subscription,
    SubscriptionTable,
    TooManySubscriptions,
    grant_expires,
    state_header,
)

BOUNDS = ExpiryBounds(minimum=60, maximum=3600, default=1800)


def sub(tag: str = "a", resource: str = "+4799990001") -> Subscription:
    return Subscription(
        call_id="c1",
        remote_tag=tag,
        local_tag="l",
        resource=resource,
        event="message-summary",
        remote_uri="sip:x@h",
        local_uri="sip:y@h",
        contact="sip:x@127.0.0.1:5062",
        expires_at=0.0,
        user=resource,
    )


def test_grant_expires_bounds() -> None:
    assert grant_expires(None, BOUNDS) == 1800  # the package default
    assert grant_expires(0, BOUNDS) == 0  # unsubscribe
    assert grant_expires(60, BOUNDS) == 60
    assert grant_expires(86400, BOUNDS) == 3600  # shortened to the maximum
    with pytest.raises(IntervalTooBrief) as exc:
        grant_expires(59, BOUNDS)
    assert exc.value.minimum == 60  # goes out as Min-Expires with 423


def test_new_refresh_and_state_header() -> None:
    table = SubscriptionTable(BOUNDS)
    s = table.subscribe(None, sub(), 600, now=100.0)
    assert state_header(s, 100.0) == "active;expires=600"
    assert state_header(s, 399.5) == "active;expires=301"
    assert table.next_deadline() == 700.0
    assert table.expire(699.9) == []
    again = table.subscribe(s, None, 900, now=650.0)  # refresh before expiry
    assert again is s and table.next_deadline() == 1550.0
    assert len(table) == 1 and table.of_resource("+4799990001") == [s]


def test_expiry_terminates_with_timeout() -> None:
    table = SubscriptionTable(BOUNDS)
    s = table.subscribe(None, sub(), 60, now=0.0)
    (gone,) = table.expire(60.0)
    assert gone is s and state_header(s, 60.0) == "terminated;reason=timeout"
    assert len(table) == 0 and table.next_deadline() is None
    assert table.get("c1", "a") is None


def test_unsubscribe_removes_and_terminates() -> None:
    table = SubscriptionTable(BOUNDS)
    s = table.subscribe(None, sub(), 600, now=0.0)
    table.subscribe(s, None, 0, now=10.0)
    assert s.state == "terminated" and len(table) == 0
    assert state_header(s, 10.0) == "terminated;reason=timeout"


def test_terminate_and_resources() -> None:
    table = SubscriptionTable(BOUNDS)
    a = table.subscribe(None, sub("a"), 600, now=0.0)
    table.subscribe(None, sub("b", "+4799990002"), 600, now=0.0)
    assert set(table.resources()) == {"+4799990001", "+4799990002"}
    table.terminate(a, "deactivated")
    assert state_header(a, 1.0) == "terminated;reason=deactivated"
    assert set(table.resources()) == {"+4799990002"}


def test_table_is_bounded_and_needs_a_subscription() -> None:
    table = SubscriptionTable(BOUNDS, limit=1)
    s = table.subscribe(None, sub("a"), 600, now=0.0)
    with pytest.raises(TooManySubscriptions):
        table.subscribe(None, sub("b"), 600, now=0.0)
    table.subscribe(s, None, 600, now=1.0)  # a refresh still fits
    with pytest.raises(ValueError):
        table.subscribe(None, None, 600, now=0.0)
    assert sub().next_cseq() == 1
