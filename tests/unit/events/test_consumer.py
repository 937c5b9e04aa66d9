"""The event consumer subscribe request (wgtwo-api.md §4.1)."""

from __future__ import annotations

import pytest

from registrations.wgtwo.events.v0 import events_pb2
from tas.config import EventsSettings
from tas.events.consumer import subscribe_request

# wgtwo-api.md §4.1 wire test vector for a SubscribeEventsResponse.


def test_subscribe_request_matches_the_contract_vector() -> None:
    settings = EventsSettings(
        client_id="c",
        queue_name="q",
        durable_name="d",
        max_in_flight=10,
        ack_timeout=30,
        start="new",
    )
    wire = subscribe_request(settings).SerializeToString(deterministic=True)
    assert wire.hex() == "0a0201023201633a0171420164480a520608011202081e"


def test_subscribe_request_defaults_are_the_production_recommendation() -> None:
    request = subscribe_request(EventsSettings())
    assert list(request.type) == [events_pb2.VOICE_EVENT, events_pb2.VOICEMAIL_EVENT]
    assert request.queue_name and request.durable_name
    assert request.manual_ack.enable and request.manual_ack.timeout.seconds == 30
    assert request.max_in_flight == 50
    assert request.WhichOneof("start_position") == "start_at_oldest_possible"


@pytest.mark.parametrize("field", ["max_in_flight", "ack_timeout"])
def test_subscribe_request_refuses_zero(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        subscribe_request(EventsSettings.model_validate({field: 0}))
