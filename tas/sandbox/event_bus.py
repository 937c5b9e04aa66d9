"""Sans-IO event store and subscription engine behind the sandbox's EventsService v0.

Implements the subscription semantics of the operator contract (wgtwo-api.md §4.1, which are
NATS Streaming's): 30 min of history with sequence numbers from 1, a type filter, start
positions, regular / durable / queue / queue+durable subscriptions, ``max_in_flight`` and manual
ack with a timeout and redelivery (``is_redelivered``).

No I/O and no clock: every call that depends on time takes ``now`` (seconds, the same clock as
the event timestamps). The adapter calls :meth:`EventBus.poll` to collect what a subscriber must
be sent, and :meth:`EventBus.handle_timer` at :meth:`EventBus.next_deadline`.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from typing import Generic, TypeVar

from tas.sandbox.subscriptions import (
    AckOutcome,
    Delivery,
    StartAtOldest,
    StartAtSequence,
    StartAtTimestamp,
    StartNew,
    StartWithLastReceived,
    StoredEvent,
    SubscriptionClosed,
    SubscriptionKind,
    SubscriptionSpec,
    UnknownInbox,
)

__all__ = ["EventBus"]

P = TypeVar("P")

HISTORY_SECONDS = 1800.0  # "The server keeps 30 min of history."
DURABLE_EXPIRY_SECONDS = 3600.0  # "the durable expires 1 h after the last client leaves"
DEFAULT_MAX_IN_FLIGHT = 1024  # NATS Streaming's default MaxInflight


class _Pending(Generic[P]):
    """An event assigned to a manual-ack member and not yet acked."""

    __slots__ = ("deadline", "event", "member", "redelivered")

    def __init__(self, event: StoredEvent[P], member: _Member[P], redelivered: bool) -> None:
        self.event = event
        self.member = member
        self.redelivered = redelivered
        self.deadline: float | None = None  # set when polled (handed to the transport)


class _Member(Generic[P]):
    __slots__ = ("ack_timeout", "closed", "group", "id", "in_flight", "max_in_flight", "outbox")

    def __init__(
        self, member_id: int, group: _Group[P], spec: SubscriptionSpec, default: int
    ) -> None:
        self.id = member_id
        self.group = group
        self.max_in_flight = spec.max_in_flight or default
        self.ack_timeout = spec.ack_timeout
        self.outbox: deque[Delivery[P]] = deque()
        self.in_flight: set[int] = set()  # manual ack: assigned and not acked
        self.closed: str | None = None

    def capacity(self) -> int:
        used = len(self.in_flight) if self.ack_timeout is not None else len(self.outbox)
        return self.max_in_flight - used


class _Group(Generic[P]):
    """A position in the stream shared by one or more members (the subscription proper)."""

    __slots__ = (
        "cursor",
        "expires_at",
        "id",
        "inbox",
        "key",
        "kind",
        "members",
        "retry",
        "rr",
        "types",
        "unacked",
    )

    def __init__(self, group_id: int, key: tuple[str, ...] | None, spec: SubscriptionSpec) -> None:
        self.id = group_id
        self.key = key
        self.kind = spec.kind
        self.types = spec.types
        self.inbox = f"_INBOX.sandbox.{group_id}"
        self.cursor = 1  # next sequence to consider from the history
        self.members: list[_Member[P]] = []
        self.rr = 0  # round-robin index into members
        self.retry: list[tuple[int, bool, StoredEvent[P]]] = []  # heap by sequence
        self.unacked: dict[int, _Pending[P]] = {}
        self.expires_at: float | None = None

    @property
    def durable(self) -> bool:
        return self.kind in (SubscriptionKind.DURABLE, SubscriptionKind.QUEUE_DURABLE)

    def matches(self, event_type: int) -> bool:
        return not self.types or event_type in self.types


class EventBus(Generic[P]):
    """The event history and every subscription, driven by explicit calls with ``now``."""

    def __init__(
        self,
        *,
        history_seconds: float = HISTORY_SECONDS,
        durable_expiry: float = DURABLE_EXPIRY_SECONDS,
        default_max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> None:
        self.history_seconds = history_seconds
        self.durable_expiry = durable_expiry
        self.default_max_in_flight = default_max_in_flight
        self._history: deque[StoredEvent[P]] = deque()
        self._next_sequence = 1
        self._groups: dict[int, _Group[P]] = {}
        self._named: dict[tuple[str, ...], _Group[P]] = {}
        self._inboxes: dict[str, _Group[P]] = {}
        self._members: dict[int, _Member[P]] = {}
        self._ids = itertools.count(1)
        # (deadline, group id, sequence); sequence 0 marks a durable's expiry. Lazily invalidated.
        self._timers: list[tuple[float, int, int]] = []

    # -- publishing -------------------------------------------------------------------------

    def publish(self, event_type: int, payload: P, now: float) -> StoredEvent[P]:
        """Append an event (timestamped ``now``) and hand it to the matching subscriptions."""
        if event_type <= 0:
            raise ValueError(f"event type must be a positive EventType value: {event_type}")
        self._prune(now)
        event = StoredEvent(self._next_sequence, now, event_type, payload)
        self._next_sequence += 1
        self._history.append(event)
        for group in list(self._groups.values()):
            if group.members and group.matches(event_type):
                self._dispatch(group)
        return event

    @property
    def last_sequence(self) -> int:
        """Sequence of the newest event ever published (0 before the first)."""
        return self._next_sequence - 1

    def history(self, now: float) -> list[StoredEvent[P]]:
        """The events still kept at ``now``, oldest first."""
        self._prune(now)
        return list(self._history)

    # -- subscribing ------------------------------------------------------------------------

    def subscribe(self, spec: SubscriptionSpec, now: float) -> int:
        """Attach a subscriber; returns its member id for :meth:`poll` / :meth:`unsubscribe`.

        A durable or queue subscription that already exists keeps its stored position (the
        start position then does not apply) and takes the newest ``types``. A second client on
        a plain durable replaces the first, whose :meth:`poll` then raises SubscriptionClosed.
        """
        self._prune(now)
        key = self._key(spec)
        group = self._named.get(key) if key is not None else None
        if group is None:
            group = _Group(next(self._ids), key, spec)
            group.cursor = self._start_cursor(spec, now)
            self._groups[group.id] = group
            self._inboxes[group.inbox] = group
            if key is not None:
                self._named[key] = group
        else:
            group.types = spec.types
            group.expires_at = None
            if group.kind is SubscriptionKind.DURABLE:
                for old in list(group.members):
                    self._detach(old, "replaced by a newer client of the same durable")
        member = _Member(next(self._ids), group, spec, self.default_max_in_flight)
        group.members.append(member)
        self._members[member.id] = member
        self._dispatch(group)
        return member.id

    def unsubscribe(self, member_id: int, now: float) -> None:
        """Detach a subscriber (its stream ended). Unknown or already detached ids are ignored.

        Its unacked events go back to the subscription as redeliveries. A regular or queue
        subscription without members is dropped; a durable one expires later.
        """
        member = self._members.get(member_id)
        if member is None or member.closed is not None:
            self._members.pop(member_id, None)
            return
        del self._members[member_id]
        self._detach(member, "unsubscribed")
        group = member.group
        if not group.members and group.durable and group.id in self._groups:
            group.expires_at = now + self.durable_expiry
            heapq.heappush(self._timers, (group.expires_at, group.id, 0))

    def ack_inbox(self, member_id: int) -> str:
        return self._member(member_id).group.inbox

    def kind(self, member_id: int) -> SubscriptionKind:
        return self._member(member_id).group.kind

    # -- delivering -------------------------------------------------------------------------

    def poll(self, member_id: int, now: float) -> list[Delivery[P]]:
        """Take what must be sent to this subscriber now; manual-ack timers start here."""
        member = self._member(member_id)
        if member.closed is not None:
            self._members.pop(member_id, None)
            raise SubscriptionClosed(member.closed)
        out = list(member.outbox)
        member.outbox.clear()
        if member.ack_timeout is not None:
            group = member.group
            deadline = now + member.ack_timeout
            for delivery in out:
                pending = group.unacked.get(delivery.event.sequence)
                if pending is not None and pending.member is member:
                    pending.deadline = deadline
                    heapq.heappush(self._timers, (deadline, group.id, delivery.event.sequence))
        elif out:
            self._dispatch(member.group)  # room freed for more
        return out

    def ready(self, member_id: int) -> bool:
        """Whether :meth:`poll` has something for this subscriber (events, or its closing)."""
        member = self._members.get(member_id)
        return member is None or member.closed is not None or bool(member.outbox)

    def ack(self, inbox: str, sequence: int, now: float) -> AckOutcome:
        """``Ack(inbox, sequence)``: the event is done and frees a slot of ``max_in_flight``."""
        group = self._inboxes.get(inbox)
        if group is None:
            raise UnknownInbox(f"no subscription has ack inbox {inbox!r}")
        pending = group.unacked.pop(sequence, None)
        if pending is None:
            # Acked late, after its timeout queued a redelivery: no need to send it again.
            kept = [entry for entry in group.retry if entry[0] != sequence]
            if len(kept) == len(group.retry):
                return AckOutcome.NOT_PENDING
            heapq.heapify(kept)
            group.retry = kept
            return AckOutcome.ACKED
        member = pending.member
        member.in_flight.discard(sequence)
        if pending.deadline is None:  # acked before it was even sent: do not send it
            member.outbox = deque(d for d in member.outbox if d.event.sequence != sequence)
        self._dispatch(group)
        return AckOutcome.ACKED

    # -- time -------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """When :meth:`handle_timer` must next run (an ack timeout or a durable's expiry)."""
        while self._timers:
            deadline, group_id, sequence = self._timers[0]
            if self._timer_valid(deadline, group_id, sequence):
                return deadline
            heapq.heappop(self._timers)
        return None

    def handle_timer(self, now: float) -> None:
        """Redeliver events whose ack timed out, expire idle durables, drop old history."""
        touched: dict[int, _Group[P]] = {}
        while self._timers and self._timers[0][0] <= now:
            deadline, group_id, sequence = heapq.heappop(self._timers)
            if not self._timer_valid(deadline, group_id, sequence):
                continue
            group = self._groups[group_id]
            if sequence == 0:
                self._drop_group(group)
                continue
            pending = group.unacked.pop(sequence)
            pending.member.in_flight.discard(sequence)
            heapq.heappush(group.retry, (sequence, True, pending.event))
            touched[group.id] = group
        self._prune(now)
        for group in touched.values():
            self._dispatch(group)

    # -- internals --------------------------------------------------------------------------

    def _member(self, member_id: int) -> _Member[P]:
        try:
            return self._members[member_id]
        except KeyError:
            raise SubscriptionClosed(f"no subscriber {member_id}") from None

    @staticmethod
    def _key(spec: SubscriptionSpec) -> tuple[str, ...] | None:
        kind = spec.kind
        if kind is SubscriptionKind.REGULAR:
            return None
        return (kind.value, spec.client_id, spec.queue_name, spec.durable_name)

    def _timer_valid(self, deadline: float, group_id: int, sequence: int) -> bool:
        group = self._groups.get(group_id)
        if group is None:
            return False
        if sequence == 0:
            return group.expires_at == deadline and not group.members
        pending = group.unacked.get(sequence)
        return pending is not None and pending.deadline == deadline

    def _start_cursor(self, spec: SubscriptionSpec, now: float) -> int:
        start = spec.start
        oldest = self._history[0].sequence if self._history else self._next_sequence
        if isinstance(start, StartNew):
            return self._next_sequence
        if isinstance(start, StartAtOldest):
            return oldest
        if isinstance(start, StartAtSequence):
            return max(start.sequence, oldest)
        if isinstance(start, StartWithLastReceived):
            for event in reversed(self._history):
                if not spec.types or event.type in spec.types:
                    return event.sequence
            return self._next_sequence
        since = start.timestamp if isinstance(start, StartAtTimestamp) else now - start.delta
        for event in self._history:
            if event.timestamp >= since:
                return event.sequence
        return self._next_sequence

    def _prune(self, now: float) -> None:
        horizon = now - self.history_seconds
        while self._history and self._history[0].timestamp < horizon:
            self._history.popleft()

    def _next_new(self, group: _Group[P]) -> StoredEvent[P] | None:
        """The next history event for ``group`` at or after its cursor, skipping other types."""
        if not self._history:
            group.cursor = max(group.cursor, self._next_sequence)
            return None
        first = self._history[0].sequence
        index = max(group.cursor - first, 0)
        while index < len(self._history):
            event = self._history[index]
            if group.matches(event.type):
                group.cursor = event.sequence
                return event
            index += 1
        group.cursor = max(group.cursor, self._next_sequence)
        return None

    def _pick_member(self, group: _Group[P]) -> _Member[P] | None:
        count = len(group.members)
        for step in range(count):
            member = group.members[(group.rr + step) % count]
            if member.capacity() > 0:
                group.rr = (group.rr + step + 1) % count
                return member
        return None

    def _dispatch(self, group: _Group[P]) -> None:
        """Assign retries (oldest first), then new events, to members with room, round-robin."""
        while group.members:
            if group.retry:
                sequence, redelivered, event = group.retry[0]
            else:
                found = self._next_new(group)
                if found is None:
                    return
                event, redelivered = found, False
            member = self._pick_member(group)
            if member is None:
                return
            if group.retry:
                heapq.heappop(group.retry)
            else:
                group.cursor = event.sequence + 1
            member.outbox.append(Delivery(event, group.inbox, redelivered))
            if member.ack_timeout is not None:
                group.unacked[event.sequence] = _Pending(event, member, redelivered)
                member.in_flight.add(event.sequence)

    def _detach(self, member: _Member[P], reason: str) -> None:
        """Take a member out of its group and give its events back to the group."""
        group = member.group
        member.closed = reason
        group.members.remove(member)
        group.rr = 0
        for delivery in member.outbox:
            if member.ack_timeout is None:  # unsent: not a redelivery
                heapq.heappush(
                    group.retry, (delivery.event.sequence, delivery.redelivered, delivery.event)
                )
        member.outbox.clear()
        for sequence in sorted(member.in_flight):
            pending = group.unacked.pop(sequence)
            sent = pending.deadline is not None
            heapq.heappush(group.retry, (sequence, pending.redelivered or sent, pending.event))
        member.in_flight.clear()
        if group.members:
            self._dispatch(group)
        elif not group.durable:
            self._drop_group(group)

    def _drop_group(self, group: _Group[P]) -> None:
        self._groups.pop(group.id, None)
        self._inboxes.pop(group.inbox, None)
        if group.key is not None and self._named.get(group.key) is group:
            del self._named[group.key]
