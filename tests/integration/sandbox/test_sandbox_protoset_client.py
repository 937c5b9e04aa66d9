"""An outside client built ONLY from the operator's protoset (descriptor pool, generic calls,
none of our stubs) upserts a registration and subscribes/acks events against the sandbox."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor_pb2 import FileDescriptorSet

from tas.sandbox.grpc_server import ControlPlane

from .conftest import eventually

PROTOSET = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "wgtwo.protoset"


class ProtosetClient:
    """Message classes from a fresh descriptor pool; calls through grpc's generic API."""

    def __init__(self, path: Path) -> None:
        files = FileDescriptorSet.FromString(path.read_bytes())
        self.pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            self.pool.Add(file)

    def message(self, name: str) -> Any:
        return message_factory.GetMessageClass(self.pool.FindMessageTypeByName(name))

    def method(self, channel: grpc.aio.Channel, service: str, name: str) -> Any:
        descriptor = self.pool.FindServiceByName(service).FindMethodByName(name)
        output = self.message(descriptor.output_type.full_name)
        path = f"/{service}/{name}"
        kind = channel.unary_stream if descriptor.server_streaming else channel.unary_unary
        return kind(
            path,
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=output.FromString,
        )


@pytest.fixture(scope="module")
def client() -> ProtosetClient:
    if not PROTOSET.is_file():
        pytest.skip(f"operator protoset not found at {PROTOSET} (../shared absent)")
    return ProtosetClient(PROTOSET)


async def test_upsert_and_delete_with_a_protoset_only_client(
    client: ProtosetClient, plane: ControlPlane, channel: grpc.aio.Channel
) -> None:
    upsert = client.method(channel, "wgtwo.sipbreakout.v1.SipBreakoutService", "UpsertRegistration")
    request = client.message("wgtwo.sipbreakout.v1.UpsertRegistrationRequest")()
    request.registration.sip_uri = "sips:tas.example.com"
    request.registration.route_type = (
        client.pool.FindEnumTypeByName("wgtwo.sipbreakout.v1.RouteType")
        .values_by_name["ROUTE_TYPE_FALLBACK"]
        .number
    )
    request.registration.phone_number.e164 = "+4799990000"
    response = await upsert(request)
    status = client.pool.FindEnumTypeByName("wgtwo.sipbreakout.v1.StatusCode")
    assert status.values_by_number[response.status_code].name == "STATUS_CODE_OK"
    assert response.time_to_live.seconds == 3600
    [active] = plane.registrations_for("+4799990000")
    assert (active.sip_uri, active.route.name) == ("sips:tas.example.com", "FALLBACK")

    request.registration.sip_uri = "sip:tas.example.com"
    refused = await upsert(request)
    assert status.values_by_number[refused.status_code].name == "STATUS_CODE_NOT_ACCEPTABLE"
    assert refused.error_message.startswith("Secure SIP domain name required")


async def test_subscribe_and_ack_with_a_protoset_only_client(
    client: ProtosetClient, plane: ControlPlane, channel: grpc.aio.Channel
) -> None:
    service = "wgtwo.events.v0.EventsService"
    subscribe = client.method(channel, service, "Subscribe")
    ack = client.method(channel, service, "Ack")
    event_type = client.pool.FindEnumTypeByName("wgtwo.events.v0.EventType")
    request = client.message("wgtwo.events.v0.SubscribeEventsRequest")()
    request.type.append(event_type.values_by_name["VOICE_EVENT"].number)
    request.queue_name, request.durable_name = "tas", "events"
    request.max_in_flight = 10
    request.manual_ack.enable = True
    request.manual_ack.timeout.FromSeconds(1)
    call = subscribe(request)
    await eventually(lambda: plane.subscriber_count == 1)
    plane.publish_voice_event("call-1", "CALL_RINGING", "+4711111111", "+4722222222")

    first = (await asyncio.wait_for(call.read(), 5)).event
    assert first.voice_event.call_id == "call-1"
    voice_type = client.pool.FindEnumTypeByName("wgtwo.events.v0.VoiceEvent.VoiceEventType")
    assert voice_type.values_by_number[first.voice_event.type].name == "CALL_RINGING"
    again = (await asyncio.wait_for(call.read(), 5)).event  # not acked within 1 s
    assert (again.metadata.sequence, again.metadata.is_redelivered) == (
        first.metadata.sequence,
        True,
    )

    ack_request = client.message("wgtwo.events.v0.AckRequest")(
        inbox=again.metadata.ack_inbox, sequence=again.metadata.sequence
    )
    await ack(ack_request)
    plane.publish_voice_event("call-2", "CALL_ENDED", "+4711111111", "+4722222222")
    following = (await asyncio.wait_for(call.read(), 5)).event
    assert (following.voice_event.call_id, following.metadata.is_redelivered) == ("call-2", False)
    call.cancel()
