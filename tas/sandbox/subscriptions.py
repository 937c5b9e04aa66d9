"""What a subscriber of the sandbox's EventsService v0 asks for and gets (wgtwo-api.md §4.1):
subscription kinds, start positions, the validated request, stored events and deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeAlias, TypeVar

__all__ = [
    "AckOutcome",
    "Delivery",
    "StartAtOldest",
    "StartAtSequence",
    "StartAtTimeDelta",
    "StartAtTimestamp",
    "StartNew",
    "StartPosition",
    "StartWithLastReceived",
    "StoredEvent",
    "SubscriptionClosed",
    "SubscriptionError",
    "SubscriptionKind",
    "SubscriptionSpec",
    "UnknownInbox",
]

P = TypeVar("P")


class SubscriptionError(ValueError):
    """A subscription request the bus refuses; the message says why."""


class SubscriptionClosed(Exception):
    """The subscriber was detached by the bus (e.g. replaced by a newer durable client)."""


class UnknownInbox(LookupError):
    """An ack named an inbox that belongs to no live subscription."""


class SubscriptionKind(Enum):
    """Decided by which fields are set (wgtwo-api.md §4.1)."""

    REGULAR = "regular"
    DURABLE = "durable"
    QUEUE = "queue"
    QUEUE_DURABLE = "queue+durable"


class AckOutcome(Enum):
    ACKED = "acked"
    NOT_PENDING = "not pending"  # already acked, never delivered, or given up: harmless


@dataclass(frozen=True, slots=True)
class StartNew:
    """Only events published after the subscription (the default)."""


@dataclass(frozen=True, slots=True)
class StartAtSequence:
    """From this sequence on; 0 (or any number below the oldest kept) means the oldest."""

    sequence: int


@dataclass(frozen=True, slots=True)
class StartAtTimestamp:
    """From the first event at or after this time."""

    timestamp: float


@dataclass(frozen=True, slots=True)
class StartAtTimeDelta:
    """From the first event at or after ``now - delta``."""

    delta: float


@dataclass(frozen=True, slots=True)
class StartWithLastReceived:
    """From the most recent kept event that passes the type filter."""


@dataclass(frozen=True, slots=True)
class StartAtOldest:
    """From the oldest kept event."""


StartPosition: TypeAlias = (
    StartNew
    | StartAtSequence
    | StartAtTimestamp
    | StartAtTimeDelta
    | StartWithLastReceived
    | StartAtOldest
)


@dataclass(frozen=True, slots=True)
class SubscriptionSpec:
    """What a subscriber asked for (one ``SubscribeEventsRequest``).

    ``types`` empty means every type. ``max_in_flight`` 0 means the bus default.
    ``ack_timeout`` None means no manual ack: an event counts as acked once it is polled.
    """

    types: frozenset[int] = frozenset()
    client_id: str = ""
    queue_name: str = ""
    durable_name: str = ""
    start: StartPosition = StartNew()
    max_in_flight: int = 0
    ack_timeout: float | None = None

    def __post_init__(self) -> None:
        if self.max_in_flight < 0:
            raise SubscriptionError(f"max_in_flight must not be negative: {self.max_in_flight}")
        if self.ack_timeout is not None and not self.ack_timeout > 0:
            raise SubscriptionError(f"manual ack timeout must be positive: {self.ack_timeout}")
        if 0 in self.types:
            raise SubscriptionError("event type UNSPECIFIED (0) cannot be subscribed to")
        if self.durable_name and not self.queue_name and not self.client_id:
            raise SubscriptionError("a durable subscription needs client_id with durable_name")
        if self.queue_name and not self.durable_name and not self.client_id:
            raise SubscriptionError("a queue subscription needs client_id with queue_name")
        if isinstance(self.start, StartAtTimeDelta) and self.start.delta < 0:
            raise SubscriptionError(f"start_at_time_delta must not be negative: {self.start.delta}")

    @property
    def kind(self) -> SubscriptionKind:
        if self.queue_name and self.durable_name:
            return SubscriptionKind.QUEUE_DURABLE
        if self.durable_name:
            return SubscriptionKind.DURABLE
        if self.queue_name:
            return SubscriptionKind.QUEUE
        return SubscriptionKind.REGULAR


@dataclass(frozen=True, slots=True)
class StoredEvent(Generic[P]):
    """One published event; ``payload`` is opaque to the bus."""

    sequence: int
    timestamp: float
    type: int
    payload: P


@dataclass(frozen=True, slots=True)
class Delivery(Generic[P]):
    """An event to send to one subscriber, with its ack inbox and redelivery flag."""

    event: StoredEvent[P]
    ack_inbox: str
    redelivered: bool
