"""EventBus durable and queue groups (wgtwo-api.md §4.1): resuming, expiry, replacement, load
sharing and hand-over of unacked events, on a virtual clock."""

from __future__ import annotations

import pytest

from tas.sandbox.event_bus import EventBus
from tas.sandbox.subscriptions import (
    StartNew,
    SubscriptionClosed,
    SubscriptionSpec,
    UnknownInbox,
)
from tests.unit.sandbox.bus_helpers import (
    T0,
    VOICE,
    VOICEMAIL,
    durable,
    manual,
    publish,
    seqs,
    timer,
)

# -- durable ------------------------------------------------------------------------------


def test_durable_resumes_after_disconnect_with_unacked_redelivered() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(durable(), T0)
    publish(bus, 3, T0)
    got = bus.poll(member, T0)
    bus.ack(got[0].ack_inbox, 1, T0 + 1)
    bus.ack(got[0].ack_inbox, 2, T0 + 1)
    bus.unsubscribe(member, T0 + 2)  # 3 was sent, not acked
    publish(bus, 2, T0 + 3)  # 4, 5 while nobody listens
    again = bus.subscribe(durable(start=StartNew()), T0 + 10)  # start position ignored
    assert [(d.event.sequence, d.redelivered) for d in bus.poll(again, T0 + 10)] == [
        (3, True),
        (4, False),
        (5, False),
    ]


def test_durable_unsent_events_are_not_flagged_redelivered() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(durable(), T0)
    publish(bus, 2, T0)  # assigned, never polled
    bus.unsubscribe(member, T0 + 1)
    again = bus.subscribe(durable(), T0 + 2)
    assert [(d.event.sequence, d.redelivered) for d in bus.poll(again, T0 + 2)] == [
        (1, False),
        (2, False),
    ]


def test_durable_expires_one_hour_after_the_last_client_leaves() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(durable(), T0)
    inbox = bus.ack_inbox(member)
    bus.unsubscribe(member, T0)
    assert bus.next_deadline() == T0 + 3600
    publish(bus, 1, T0 + 3000)
    timer(bus, T0 + 3599)
    kept = bus.subscribe(durable(), T0 + 3599)
    assert seqs(bus.poll(kept, T0 + 3599)) == [1]
    assert bus.ack_inbox(kept) == inbox
    bus.ack(inbox, 1, T0 + 3599)
    bus.unsubscribe(kept, T0 + 3599)
    timer(bus, T0 + 3599 + 3600)
    assert bus.next_deadline() is None
    with pytest.raises(UnknownInbox):
        bus.ack(inbox, 1, T0 + 7200)
    publish(bus, 1, T0 + 7200)
    fresh = bus.subscribe(durable(), T0 + 7200)  # a new durable: only new events by default
    assert bus.poll(fresh, T0 + 7200) == []


def test_durable_position_outlives_thirty_minutes_only_as_far_as_history_goes() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(durable(), T0)
    bus.unsubscribe(member, T0)
    publish(bus, 1, T0 + 10)
    publish(bus, 1, T0 + 2000)
    again = bus.subscribe(durable(), T0 + 2000)
    assert seqs(bus.poll(again, T0 + 2000)) == [2]  # 1 aged out of history


def test_second_client_of_a_plain_durable_replaces_the_first() -> None:
    bus: EventBus[str] = EventBus()
    old = bus.subscribe(durable(), T0)
    publish(bus, 1, T0)
    bus.poll(old, T0)
    new = bus.subscribe(durable(), T0 + 1)
    with pytest.raises(SubscriptionClosed, match="replaced by a newer client"):
        bus.poll(old, T0 + 1)
    assert [(d.event.sequence, d.redelivered) for d in bus.poll(new, T0 + 1)] == [(1, True)]
    bus.unsubscribe(old, T0 + 2)  # the old stream's cleanup must not disturb the new one
    publish(bus, 1, T0 + 3)
    assert seqs(bus.poll(new, T0 + 3)) == [2]


def test_reattach_takes_the_new_type_filter() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(durable(types=frozenset({VOICE})), T0)
    bus.unsubscribe(member, T0)
    again = bus.subscribe(durable(types=frozenset({VOICEMAIL})), T0 + 1)
    bus.publish(VOICE, "v", T0 + 2)
    bus.publish(VOICEMAIL, "vm", T0 + 2)
    assert [d.event.payload for d in bus.poll(again, T0 + 2)] == ["vm"]


def test_durables_are_separate_per_client_and_name() -> None:
    bus: EventBus[str] = EventBus()
    a = bus.subscribe(durable(), T0)
    b = bus.subscribe(manual(client_id="other", durable_name="d"), T0)
    c = bus.subscribe(manual(client_id="tas", durable_name="e"), T0)
    publish(bus, 1, T0)
    assert seqs(bus.poll(a, T0)) == seqs(bus.poll(b, T0)) == seqs(bus.poll(c, T0)) == [1]


# -- queue and queue+durable --------------------------------------------------------------


def queue(**fields: object) -> SubscriptionSpec:
    return SubscriptionSpec(client_id="tas", queue_name="q", **fields)  # type: ignore[arg-type]


def test_queue_members_share_the_load_round_robin() -> None:
    bus: EventBus[str] = EventBus()
    a = bus.subscribe(queue(), T0)
    b = bus.subscribe(queue(), T0)
    assert bus.ack_inbox(a) == bus.ack_inbox(b)
    publish(bus, 6, T0)
    got_a, got_b = seqs(bus.poll(a, T0)), seqs(bus.poll(b, T0))
    assert got_a == [1, 3, 5]
    assert got_b == [2, 4, 6]


def test_queue_sends_to_members_with_room_only() -> None:
    bus: EventBus[str] = EventBus()
    a = bus.subscribe(queue(ack_timeout=30.0, max_in_flight=1), T0)
    b = bus.subscribe(queue(ack_timeout=30.0, max_in_flight=10), T0)
    publish(bus, 5, T0)
    assert seqs(bus.poll(a, T0)) == [1]
    assert seqs(bus.poll(b, T0)) == [2, 3, 4, 5]


def test_queue_member_leaving_hands_its_unacked_events_to_the_others() -> None:
    bus: EventBus[str] = EventBus()
    a = bus.subscribe(queue(ack_timeout=30.0), T0)
    b = bus.subscribe(queue(ack_timeout=30.0), T0)
    publish(bus, 2, T0)
    assert seqs(bus.poll(a, T0)) == [1]
    assert seqs(bus.poll(b, T0)) == [2]
    bus.unsubscribe(a, T0 + 1)
    assert [(d.event.sequence, d.redelivered) for d in bus.poll(b, T0 + 1)] == [(1, True)]


def test_queue_redelivery_after_timeout_may_go_to_another_member() -> None:
    bus: EventBus[str] = EventBus()
    a = bus.subscribe(queue(ack_timeout=5.0), T0)
    b = bus.subscribe(queue(ack_timeout=5.0), T0)
    publish(bus, 1, T0)
    assert seqs(bus.poll(a, T0)) == [1]
    timer(bus, T0 + 5)
    redelivered = bus.poll(a, T0 + 5) + bus.poll(b, T0 + 5)
    assert [(d.event.sequence, d.redelivered) for d in redelivered] == [(1, True)]


def test_queue_position_is_lost_when_every_member_has_gone() -> None:
    bus: EventBus[str] = EventBus()
    a = bus.subscribe(queue(), T0)
    inbox = bus.ack_inbox(a)
    bus.unsubscribe(a, T0)
    publish(bus, 2, T0 + 1)
    b = bus.subscribe(queue(), T0 + 2)
    assert bus.ack_inbox(b) != inbox
    assert bus.poll(b, T0 + 2) == []


def test_queue_durable_keeps_position_and_shares_load() -> None:
    bus: EventBus[str] = EventBus()
    spec = SubscriptionSpec(queue_name="q", durable_name="d", ack_timeout=30.0)
    a = bus.subscribe(spec, T0)
    b = bus.subscribe(spec, T0)
    publish(bus, 2, T0)
    assert seqs(bus.poll(a, T0)) == [1]
    assert seqs(bus.poll(b, T0)) == [2]
    bus.ack(bus.ack_inbox(a), 1, T0)
    bus.unsubscribe(a, T0 + 1)
    bus.unsubscribe(b, T0 + 1)  # 2 unacked
    publish(bus, 1, T0 + 2)
    c = bus.subscribe(spec, T0 + 100)
    assert [(d.event.sequence, d.redelivered) for d in bus.poll(c, T0 + 100)] == [
        (2, True),
        (3, False),
    ]
    bus.unsubscribe(c, T0 + 100)
    timer(bus, T0 + 100 + 3600)
    assert bus.next_deadline() is None
