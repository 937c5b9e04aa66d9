"""The built-in operator core: SipBreakout registrations and the EventsService v0 event bus.

Pure parts are importable from here; the gRPC adapter is :mod:`tas.sandbox.grpc_server`
(``ControlPlane``) and the command line :mod:`tas.sandbox.cli` (``tas sandbox``).
"""

from tas.sandbox.breakout import (
    ActiveRegistration,
    BreakoutNotFound,
    BreakoutRejected,
    BreakoutTable,
)
from tas.sandbox.event_bus import EventBus
from tas.sandbox.subscriptions import (
    AckOutcome,
    Delivery,
    StoredEvent,
    SubscriptionClosed,
    SubscriptionError,
    SubscriptionKind,
    SubscriptionSpec,
    UnknownInbox,
)

__all__ = [
    "AckOutcome",
    "ActiveRegistration",
    "BreakoutNotFound",
    "BreakoutRejected",
    "BreakoutTable",
    "Delivery",
    "EventBus",
    "StoredEvent",
    "SubscriptionClosed",
    "SubscriptionError",
    "SubscriptionKind",
    "SubscriptionSpec",
    "UnknownInbox",
]
