"""Operator event-stream consumer (EventsService v0) and call correlation."""

from tas.events.backoff import Backoff
from tas.events.consumer import ConsumerStats, EventConsumer, subscribe_request
from tas.events.models import CoreEvent, UnsupportedEvent, core_event_from_proto, event_key
from tas.events.store import EventStore

__all__ = [
    "Backoff",
    "ConsumerStats",
    "CoreEvent",
    "EventConsumer",
    "EventStore",
    "UnsupportedEvent",
    "core_event_from_proto",
    "event_key",
    "subscribe_request",
]
