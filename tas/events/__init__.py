"""Operator event-stream consumer (EventsService v0) and call correlation."""

from tas.events.backoff import Backoff
from tas.events.consumer import ConsumerStats, EventConsumer, subscribe_request
from tas.events.correlate import correlate, normalise_e164, outcome_of
from tas.events.history import find_timeline, load_timelines
from tas.events.metrics import ConsumerCollector
from tas.events.models import (
    CoreEvent,
    EventRecord,
    UnsupportedEvent,
    core_event_from_proto,
    event_key,
)
from tas.events.store import EventStore
from tas.events.timeline import Entry, Leg, Timeline

__all__ = [
    "Backoff",
    "ConsumerCollector",
    "ConsumerStats",
    "CoreEvent",
    "Entry",
    "EventRecord",
    "EventConsumer",
    "EventStore",
    "Leg",
    "Timeline",
    "UnsupportedEvent",
    "core_event_from_proto",
    "correlate",
    "event_key",
    "find_timeline",
    "load_timelines",
    "normalise_e164",
    "outcome_of",
    "subscribe_request",
]
