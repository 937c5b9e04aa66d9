"""EventBus invariants under random operation sequences (hypothesis, virtual clock).

Whatever subscribers do (attach, poll, ack, leave, time passing), for each subscription:
an event goes out as "first delivery" at most once, a redelivery only follows a delivery, an
acked event never comes back, events match the type filter, queue members never hold the same
event at once and no member exceeds max_in_flight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tas.sandbox.event_bus import EventBus
from tas.sandbox.subscriptions import (
    AckOutcome,
    StartAtOldest,
    SubscriptionClosed,
    SubscriptionSpec,
)

# One spec per subscription (types and manual ack fixed per subscription, as a client would).
SPECS: list[dict[str, Any]] = [
    dict(types=frozenset({1})),
    dict(types=frozenset({2}), ack_timeout=10.0),
    dict(client_id="c", durable_name="d", ack_timeout=10.0, types=frozenset({1, 2})),
    dict(client_id="c", queue_name="q", ack_timeout=5.0, types=frozenset({1})),
    dict(client_id="c", queue_name="q2", types=frozenset({2})),
    dict(queue_name="q", durable_name="d", ack_timeout=20.0, types=frozenset({1, 2})),
]

operation = st.one_of(
    st.tuples(st.just("publish"), st.sampled_from([1, 2, 3])),
    st.tuples(
        st.just("subscribe"),
        st.integers(0, len(SPECS) - 1),
        st.integers(1, 3),
        st.booleans(),
    ),
    st.tuples(st.just("unsubscribe"), st.integers(0, 7)),
    st.tuples(st.just("poll"), st.integers(0, 7)),
    st.tuples(st.just("ack"), st.integers(0, 7), st.integers(0, 3)),
    st.tuples(st.just("wait"), st.floats(0, 25)),
)


@dataclass
class Seen:
    """What one subscription (one ack inbox) has been sent and has acked."""

    first: set[int] = field(default_factory=set)
    acked: set[int] = field(default_factory=set)


@dataclass
class Member:
    id: int
    spec: SubscriptionSpec
    inbox: str
    outstanding: list[int] = field(default_factory=list)


@settings(max_examples=300, deadline=None)
@given(st.lists(operation, max_size=80))
def test_invariants_hold_for_any_operation_sequence(ops: list[tuple[Any, ...]]) -> None:
    bus: EventBus[None] = EventBus()
    now = 0.0
    members: list[Member] = []
    seen: dict[str, Seen] = {}
    for op in ops:
        kind = op[0]
        if kind == "publish":
            bus.publish(int(op[1]), None, now)
        elif kind == "subscribe":
            index, max_in_flight, oldest = op[1], op[2], op[3]
            fields = dict(SPECS[int(index)])
            if oldest:
                fields["start"] = StartAtOldest()
            spec = SubscriptionSpec(max_in_flight=int(max_in_flight), **fields)
            member_id = bus.subscribe(spec, now)
            inbox = bus.ack_inbox(member_id)
            seen.setdefault(inbox, Seen())
            members.append(Member(member_id, spec, inbox))
        elif kind == "wait":
            now += float(op[1])
            while (deadline := bus.next_deadline()) is not None and deadline <= now:
                bus.handle_timer(now)
        elif members:
            member = members[int(op[1]) % len(members)]
            if kind == "unsubscribe":
                bus.unsubscribe(member.id, now)
                members.remove(member)
            elif kind == "poll":
                try:
                    deliveries = bus.poll(member.id, now)
                except SubscriptionClosed:
                    members.remove(member)
                    continue
                record = seen[member.inbox]
                assert len(deliveries) <= member.spec.max_in_flight
                for delivery in deliveries:
                    sequence = delivery.event.sequence
                    assert delivery.ack_inbox == member.inbox
                    assert delivery.event.type in member.spec.types
                    assert sequence not in record.acked, "an acked event came back"
                    if delivery.redelivered:
                        assert sequence in record.first, "redelivery of an event never sent"
                    else:
                        assert sequence not in record.first, "first delivery sent twice"
                        record.first.add(sequence)
                    if member.spec.ack_timeout is not None:
                        member.outstanding.append(sequence)
            elif kind == "ack" and member.outstanding:
                sequence = member.outstanding.pop(int(op[2]) % len(member.outstanding))
                try:
                    outcome = bus.ack(member.inbox, sequence, now)
                except LookupError:
                    continue  # the subscription is gone (regular/queue without members)
                if outcome is AckOutcome.ACKED:
                    seen[member.inbox].acked.add(sequence)
        _check_structure(bus)


def _check_structure(bus: EventBus[None]) -> None:
    """Internal consistency: holders of unacked events and in-flight limits."""
    for group in bus._groups.values():
        held: set[int] = set()
        for member in group.members:
            assert len(member.in_flight) <= member.max_in_flight
            assert not held & member.in_flight, "two queue members hold one event"
            held |= member.in_flight
            if member.ack_timeout is None:
                assert len(member.outbox) <= member.max_in_flight
        assert held == set(group.unacked)
        retry = {sequence for sequence, _, _ in group.retry}
        assert not retry & held, "an event both queued for retry and in flight"
