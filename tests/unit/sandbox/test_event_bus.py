"""EventBus: the sandbox's EventsService v0 semantics on a virtual clock (wgtwo-api.md §4.1):
publishing, history, regular subscriptions, start positions, manual ack and redelivery."""

from __future__ import annotations

import pytest

from tas.sandbox.event_bus import EventBus
from tas.sandbox.subscriptions import (
    AckOutcome,
    StartAtOldest,
    StartAtSequence,
    StartAtTimeDelta,
    StartAtTimestamp,
    StartNew,
    StartWithLastReceived,
    SubscriptionClosed,
    SubscriptionSpec,
    UnknownInbox,
)
from tests.unit.sandbox.bus_helpers import (
    SMS,
    T0,
    VOICE,
    VOICEMAIL,
    durable,
    manual,
    publish,
    seqs,
    timer,
)

# -- publishing and history ---------------------------------------------------------------


def test_sequences_start_at_one_and_increase() -> None:
    bus: EventBus[str] = EventBus()
    assert bus.last_sequence == 0
    first = bus.publish(VOICE, "a", T0)
    second = bus.publish(VOICEMAIL, "b", T0 + 1)
    assert (first.sequence, second.sequence) == (1, 2)
    assert (second.type, second.payload, second.timestamp) == (VOICEMAIL, "b", T0 + 1)
    assert bus.last_sequence == 2


def test_history_keeps_thirty_minutes() -> None:
    bus: EventBus[str] = EventBus()
    bus.publish(VOICE, "old", T0)
    bus.publish(VOICE, "newer", T0 + 600)
    assert [e.payload for e in bus.history(T0 + 1800)] == ["old", "newer"]
    assert [e.payload for e in bus.history(T0 + 1800.5)] == ["newer"]
    assert bus.history(T0 + 2401) == []
    assert bus.last_sequence == 2  # sequence numbers are never reused


def test_publish_rejects_unspecified_type() -> None:
    bus: EventBus[str] = EventBus()
    with pytest.raises(ValueError, match="positive EventType"):
        bus.publish(0, "x", T0)


# -- regular subscription, type filter, start positions -------------------------------------


def test_regular_gets_only_new_events_of_its_types() -> None:
    bus: EventBus[str] = EventBus()
    bus.publish(VOICE, "before", T0)
    member = bus.subscribe(SubscriptionSpec(types=frozenset({VOICE})), T0 + 1)
    bus.publish(VOICEMAIL, "other type", T0 + 2)
    bus.publish(VOICE, "wanted", T0 + 3)
    deliveries = bus.poll(member, T0 + 3)
    assert [d.event.payload for d in deliveries] == ["wanted"]
    assert deliveries[0].redelivered is False
    assert deliveries[0].ack_inbox == bus.ack_inbox(member)
    assert bus.poll(member, T0 + 3) == []


def test_empty_type_list_means_every_type() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(SubscriptionSpec(), T0)
    bus.publish(VOICE, "a", T0)
    bus.publish(SMS, "b", T0)
    assert seqs(bus.poll(member, T0)) == [1, 2]


def test_every_regular_subscriber_sees_every_event() -> None:
    bus: EventBus[str] = EventBus()
    a = bus.subscribe(SubscriptionSpec(), T0)
    b = bus.subscribe(SubscriptionSpec(), T0)
    publish(bus, 3, T0)
    assert seqs(bus.poll(a, T0)) == seqs(bus.poll(b, T0)) == [1, 2, 3]
    assert bus.ack_inbox(a) != bus.ack_inbox(b)


def history_bus() -> EventBus[str]:
    """Events 1..6 at T0, T0+60 … T0+300, alternating VOICE / VOICEMAIL."""
    bus: EventBus[str] = EventBus()
    for i in range(6):
        bus.publish(VOICE if i % 2 == 0 else VOICEMAIL, f"e{i + 1}", T0 + 60 * i)
    return bus


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (StartNew(), []),
        (StartAtOldest(), [1, 2, 3, 4, 5, 6]),
        (StartAtSequence(0), [1, 2, 3, 4, 5, 6]),
        (StartAtSequence(4), [4, 5, 6]),
        (StartAtSequence(99), []),
        (StartAtTimestamp(T0 + 100), [3, 4, 5, 6]),
        (StartAtTimestamp(T0 + 120), [3, 4, 5, 6]),
        (StartAtTimestamp(T0 + 1000), []),
        (StartAtTimeDelta(130), [5, 6]),  # now = T0 + 360
        (StartWithLastReceived(), [6]),
    ],
)
def test_start_positions(start: object, expected: list[int]) -> None:
    bus = history_bus()
    member = bus.subscribe(SubscriptionSpec(start=start), T0 + 360)  # type: ignore[arg-type]
    assert seqs(bus.poll(member, T0 + 360)) == expected


def test_start_positions_respect_the_type_filter() -> None:
    bus = history_bus()
    voice = frozenset({VOICE})
    last = bus.subscribe(SubscriptionSpec(types=voice, start=StartWithLastReceived()), T0 + 360)
    oldest = bus.subscribe(SubscriptionSpec(types=voice, start=StartAtOldest()), T0 + 360)
    assert seqs(bus.poll(last, T0 + 360)) == [5]
    assert seqs(bus.poll(oldest, T0 + 360)) == [1, 3, 5]


def test_start_with_last_received_without_history_waits_for_new() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(SubscriptionSpec(start=StartWithLastReceived()), T0)
    assert bus.poll(member, T0) == []
    publish(bus, 1, T0)
    assert seqs(bus.poll(member, T0)) == [1]


def test_start_at_sequence_below_the_kept_history_starts_at_the_oldest_kept() -> None:
    bus = history_bus()  # e1 at T0 … e6 at T0+300
    now = T0 + 1800 + 150  # e1..e3 aged out
    member = bus.subscribe(SubscriptionSpec(start=StartAtSequence(1)), now)
    assert seqs(bus.poll(member, now)) == [4, 5, 6]


def test_start_at_future_sequence_skips_until_then() -> None:
    bus = history_bus()
    member = bus.subscribe(SubscriptionSpec(start=StartAtSequence(8)), T0 + 400)
    publish(bus, 3, T0 + 400)  # 7, 8, 9
    assert seqs(bus.poll(member, T0 + 400)) == [8, 9]


# -- automatic ack, max_in_flight ------------------------------------------------------------


def test_without_manual_ack_events_count_as_acked_when_sent() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(SubscriptionSpec(), T0)
    publish(bus, 2, T0)
    assert seqs(bus.poll(member, T0)) == [1, 2]
    bus.handle_timer(T0 + 3600)
    assert bus.next_deadline() is None
    assert bus.poll(member, T0 + 3600) == []
    assert bus.ack(bus.ack_inbox(member), 1, T0) is AckOutcome.NOT_PENDING


def test_max_in_flight_without_manual_ack_bounds_the_unsent_backlog() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(SubscriptionSpec(max_in_flight=2), T0)
    publish(bus, 5, T0)
    assert seqs(bus.poll(member, T0)) == [1, 2]
    assert seqs(bus.poll(member, T0)) == [3, 4]
    assert seqs(bus.poll(member, T0)) == [5]


# -- manual ack, timeout, redelivery, back-pressure ------------------------------------------


def test_manual_ack_max_in_flight_back_pressure() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(manual(max_in_flight=2), T0)
    inbox = bus.ack_inbox(member)
    publish(bus, 5, T0)
    assert seqs(bus.poll(member, T0)) == [1, 2]
    assert bus.poll(member, T0 + 1) == []  # full until something is acked
    assert bus.ack(inbox, 2, T0 + 2) is AckOutcome.ACKED
    assert seqs(bus.poll(member, T0 + 2)) == [3]
    assert bus.poll(member, T0 + 2) == []
    bus.ack(inbox, 1, T0 + 3)
    bus.ack(inbox, 3, T0 + 3)
    assert seqs(bus.poll(member, T0 + 3)) == [4, 5]


def test_unacked_event_is_redelivered_after_the_timeout() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(manual(), T0)
    publish(bus, 2, T0)
    first = bus.poll(member, T0)
    assert [d.redelivered for d in first] == [False, False]
    bus.ack(first[1].ack_inbox, 2, T0 + 1)
    assert bus.next_deadline() == T0 + 30
    timer(bus, T0 + 29.9)
    assert bus.poll(member, T0 + 29.9) == []
    timer(bus, T0 + 30)
    again = bus.poll(member, T0 + 30)
    assert seqs(again) == [1]
    assert again[0].redelivered is True
    assert bus.next_deadline() == T0 + 60  # a fresh timeout for the redelivery
    assert bus.ack(again[0].ack_inbox, 1, T0 + 31) is AckOutcome.ACKED
    assert bus.next_deadline() is None
    timer(bus, T0 + 100)
    assert bus.poll(member, T0 + 100) == []


def test_ack_timeout_starts_when_the_event_is_polled() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(manual(), T0)
    publish(bus, 1, T0)
    assert bus.next_deadline() is None
    bus.poll(member, T0 + 10)
    assert bus.next_deadline() == T0 + 40


def test_redeliveries_come_before_new_events_and_in_sequence_order() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(manual(max_in_flight=2), T0)
    publish(bus, 2, T0)
    bus.poll(member, T0)
    publish(bus, 2, T0 + 1)  # 3, 4 wait for room
    timer(bus, T0 + 30)
    redelivered = bus.poll(member, T0 + 30)
    assert [(d.event.sequence, d.redelivered) for d in redelivered] == [(1, True), (2, True)]
    inbox = bus.ack_inbox(member)
    bus.ack(inbox, 1, T0 + 31)
    bus.ack(inbox, 2, T0 + 31)
    assert [(d.event.sequence, d.redelivered) for d in bus.poll(member, T0 + 31)] == [
        (3, False),
        (4, False),
    ]


def test_late_ack_cancels_the_queued_redelivery() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(durable(), T0)
    inbox = bus.ack_inbox(member)
    publish(bus, 2, T0)
    bus.poll(member, T0)
    bus.unsubscribe(member, T0 + 1)  # 1 and 2 wait in the durable for redelivery
    assert bus.ack(inbox, 1, T0 + 2) is AckOutcome.ACKED
    again = bus.subscribe(durable(), T0 + 3)
    assert [(d.event.sequence, d.redelivered) for d in bus.poll(again, T0 + 3)] == [(2, True)]


def test_ack_of_an_assigned_but_unsent_event_withdraws_it() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(manual(), T0)
    publish(bus, 1, T0)
    bus.poll(member, T0)
    timer(bus, T0 + 30)  # redelivery assigned, not yet polled
    assert bus.ack(bus.ack_inbox(member), 1, T0 + 30) is AckOutcome.ACKED
    assert bus.poll(member, T0 + 30) == []
    assert bus.next_deadline() is None


def test_ack_is_idempotent_and_unknown_inboxes_are_reported() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(manual(), T0)
    publish(bus, 1, T0)
    bus.poll(member, T0)
    inbox = bus.ack_inbox(member)
    assert bus.ack(inbox, 1, T0) is AckOutcome.ACKED
    assert bus.ack(inbox, 1, T0) is AckOutcome.NOT_PENDING
    assert bus.ack(inbox, 42, T0) is AckOutcome.NOT_PENDING
    with pytest.raises(UnknownInbox, match="_INBOX.nope"):
        bus.ack("_INBOX.nope", 1, T0)


def test_regular_subscription_is_forgotten_on_unsubscribe() -> None:
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(manual(), T0)
    inbox = bus.ack_inbox(member)
    publish(bus, 1, T0)
    bus.poll(member, T0)
    bus.unsubscribe(member, T0 + 1)
    assert bus.next_deadline() is None
    with pytest.raises(UnknownInbox):
        bus.ack(inbox, 1, T0 + 1)
    with pytest.raises(SubscriptionClosed):
        bus.poll(member, T0 + 1)
    bus.unsubscribe(member, T0 + 2)  # twice is harmless
