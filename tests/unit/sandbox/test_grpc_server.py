"""SubscribeEventsRequest -> SubscriptionSpec (pure translation, no sockets)."""

from __future__ import annotations

import pytest
from google.protobuf import duration_pb2, empty_pb2, timestamp_pb2

from registrations.wgtwo.events.v0 import events_pb2
from tas.sandbox.grpc_server import spec_from_request
from tas.sandbox.subscriptions import (
    StartAtOldest,
    StartAtSequence,
    StartAtTimeDelta,
    StartAtTimestamp,
    StartNew,
    StartWithLastReceived,
    SubscriptionError,
    SubscriptionKind,
)

# wgtwo-api.md §4.1 wire vector: types [VOICE, VOICEMAIL], client c, queue q, durable d,
# max_in_flight 10, manual ack 30 s.
VECTOR = bytes.fromhex("0a0201023201633a0171420164480a520608011202081e")


def test_reference_wire_vector() -> None:
    spec = spec_from_request(events_pb2.SubscribeEventsRequest.FromString(VECTOR), 99.0)
    assert spec.types == frozenset({1, 2})
    assert (spec.client_id, spec.queue_name, spec.durable_name) == ("c", "q", "d")
    assert spec.kind is SubscriptionKind.QUEUE_DURABLE
    assert (spec.max_in_flight, spec.ack_timeout) == (10, 30.0)
    assert spec.start == StartNew()


@pytest.mark.parametrize(
    ("field", "value", "start"),
    [
        ("start_at_sequence", 0, StartAtSequence(0)),
        ("start_at_sequence", 7, StartAtSequence(7)),
        (
            "start_at_timestamp",
            timestamp_pb2.Timestamp(seconds=5, nanos=500_000_000),
            StartAtTimestamp(5.5),
        ),
        ("start_at_time_delta", duration_pb2.Duration(seconds=90), StartAtTimeDelta(90.0)),
        ("start_with_last_received", empty_pb2.Empty(), StartWithLastReceived()),
        ("start_at_oldest_possible", empty_pb2.Empty(), StartAtOldest()),
    ],
)
def test_start_positions(field: str, value: object, start: object) -> None:
    request = events_pb2.SubscribeEventsRequest(**{field: value})  # type: ignore[arg-type]
    assert spec_from_request(request, 30.0).start == start


def test_manual_ack_without_timeout_takes_the_default_and_disabled_means_none() -> None:
    enabled = events_pb2.SubscribeEventsRequest(manual_ack=events_pb2.ManualAckConfig(enable=True))
    assert spec_from_request(enabled, 12.5).ack_timeout == 12.5
    assert spec_from_request(events_pb2.SubscribeEventsRequest(), 12.5).ack_timeout is None


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (events_pb2.SubscribeEventsRequest(type=[42]), r"unknown event type\(s\): 42"),  # type: ignore[list-item]
        (events_pb2.SubscribeEventsRequest(type=[0]), "UNSPECIFIED"),  # type: ignore[list-item]
        (events_pb2.SubscribeEventsRequest(queue_name="q"), "needs client_id"),
        (
            events_pb2.SubscribeEventsRequest(
                manual_ack=events_pb2.ManualAckConfig(
                    enable=True, timeout=duration_pb2.Duration(seconds=-1)
                )
            ),
            "must be positive",
        ),
    ],
)
def test_bad_requests_raise_with_the_reason(
    request_: events_pb2.SubscribeEventsRequest, message: str
) -> None:
    with pytest.raises(SubscriptionError, match=message):
        spec_from_request(request_, 30.0)
