"""SubscriptionSpec (wgtwo-api.md §4.1): the kind its fields decide, and what it refuses."""

from __future__ import annotations

import pytest

from tas.sandbox.event_bus import EventBus
from tas.sandbox.subscriptions import (
    StartAtTimeDelta,
    SubscriptionError,
    SubscriptionKind,
    SubscriptionSpec,
)
from tests.unit.sandbox.bus_helpers import T0, VOICE

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
