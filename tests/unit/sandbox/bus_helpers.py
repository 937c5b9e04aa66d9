"""What the EventBus tests share: event types, the clock origin, publishing and timer steps."""

from __future__ import annotations

from tas.sandbox.event_bus import EventBus
from tas.sandbox.subscriptions import Delivery, SubscriptionSpec

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


def manual(**fields: object) -> SubscriptionSpec:
    return SubscriptionSpec(ack_timeout=30.0, **fields)  # type: ignore[arg-type]


def durable(**fields: object) -> SubscriptionSpec:
    return manual(client_id="tas", durable_name="d", **fields)
