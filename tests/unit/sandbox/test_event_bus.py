"""EventBus: the sandbox's EventsService v0 semantics on a virtual clock (wgtwo-api.md §4.1)."""

from __future__ import annotations

import pytest

from tas.sandbox.event_bus import EventBus
from tas.sandbox.subscriptions import (
    AckOutcome,
    Delivery,
    StartAtOldest,
    StartAtSequence,
    StartAtTimeDelta,
    StartAtTimestamp,
    StartNew,
    StartWithLastReceived,
    SubscriptionClosed,
    SubscriptionError,
    SubscriptionKind,
    SubscriptionSpec,
    UnknownInbox,
)

VOICE, VOICEMAIL, SMS = 1, 2, 6
T0 = 1_700_000_000.0


def seqs(deliveries: list[Delivery[str]]) -> list[int]:
    return [d.event.sequence for d in deliveries]


def publish(bus: EventBus[str], n: int, now: float, event_type: int = VOICE) -> list[int]:
    return [bus.publish(event_type, f"e{i}", now).sequence for i in range(n)]


def timer(bus: EventBus[str], now: float) -> None:
    """Run the timer the way an adapter would: only once its deadline has come."""
    deadline = bus.next_deadline()
    if deadline is not None and deadline <= now:
        bus.handle_timer(now)


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


# -- subscription kinds -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({}, SubscriptionKind.REGULAR),
        ({"client_id": "c"}, SubscriptionKind.REGULAR),
        ({"client_id": "c", "durable_name": "d"}, SubscriptionKind.DURABLE),
        ({"client_id": "c", "queue_name": "q"}, SubscriptionKind.QUEUE),
        ({"queue_name": "q", "durable_name": "d"}, SubscriptionKind.QUEUE_DURABLE),
        (
            {"client_id": "c", "queue_name": "q", "durable_name": "d"},
            SubscriptionKind.QUEUE_DURABLE,
        ),
    ],
)
def test_kind_is_decided_by_fields(fields: dict[str, str], kind: SubscriptionKind) -> None:
    spec = SubscriptionSpec(types=frozenset({VOICE}), **fields)  # type: ignore[arg-type]
    assert spec.kind is kind
    bus: EventBus[str] = EventBus()
    assert bus.kind(bus.subscribe(spec, T0)) is kind


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"durable_name": "d"}, "durable subscription needs client_id"),
        ({"queue_name": "q"}, "queue subscription needs client_id"),
        ({"max_in_flight": -1}, "max_in_flight must not be negative"),
        ({"ack_timeout": 0.0}, "ack timeout must be positive"),
        ({"types": frozenset({0})}, "UNSPECIFIED"),
        ({"start": StartAtTimeDelta(-5)}, "start_at_time_delta must not be negative"),
    ],
)
def test_bad_subscriptions_are_refused_with_a_reason(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(SubscriptionError, match=message):
        SubscriptionSpec(**fields)  # type: ignore[arg-type]


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


def manual(**fields: object) -> SubscriptionSpec:
    return SubscriptionSpec(ack_timeout=30.0, **fields)  # type: ignore[arg-type]


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


# -- durable ------------------------------------------------------------------------------


def durable(**fields: object) -> SubscriptionSpec:
    return manual(client_id="tas", durable_name="d", **fields)


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
