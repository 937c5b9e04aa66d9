"""gRPC server reflection on the voicemail API: grpcurl-style listing and describing with no
protoset and no token, health with no token, while VoicemailMediaService still refuses a call
without a bearer token (and serves one with it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import grpc.aio
import pytest
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from registrations.wgtwo.common.v0 import phonenumber_pb2
from registrations.wgtwo.voicemail.v0 import voicemail_pb2, voicemail_pb2_grpc
from tas.config import Settings, VoicemailSettings
from tas.voicemail import VoicemailStore
from tas.voicemail.api import start_voicemail_api

TOKEN = "vm-admin-token"


def browse(address: str) -> tuple[list[str], str]:
    """The service list and GetVoicemail's request type, through reflection only."""
    with grpc.insecure_channel(address) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        services = sorted(database.get_services())
        service = DescriptorPool(database).FindServiceByName(
            "wgtwo.voicemail.v0.VoicemailMediaService"
        )
        return services, service.methods_by_name["GetVoicemail"].input_type.full_name


async def test_reflection_and_health_without_token_the_api_with_it(
    store: VoicemailStore, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, voicemail=VoicemailSettings(api_tokens=[TOKEN]))
    api = await start_voicemail_api(settings, store, address="127.0.0.1:0")
    address = f"127.0.0.1:{api.port}"
    try:
        services, request_type = await asyncio.to_thread(browse, address)
        assert services == [
            "grpc.health.v1.Health",
            "grpc.reflection.v1alpha.ServerReflection",
            "wgtwo.voicemail.v0.VoicemailMediaService",
        ]
        assert request_type == voicemail_pb2.GetVoicemailRequest.DESCRIPTOR.full_name
        async with grpc.aio.insecure_channel(address) as channel:
            health = health_pb2_grpc.HealthStub(channel)  # type: ignore[no-untyped-call]
            answer = await health.Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
            stub = voicemail_pb2_grpc.VoicemailMediaServiceStub(channel)  # type: ignore[no-untyped-call]
            request = voicemail_pb2.GetAllVoicemailMetadataRequest(
                to=phonenumber_pb2.PhoneNumber(e164="+4799990001")
            )
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.GetAllVoicemailMetadata(request, timeout=5)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            bearer = (("authorization", f"Bearer {TOKEN}"),)
            listed = await stub.GetAllVoicemailMetadata(request, metadata=bearer, timeout=5)
            assert list(listed.metadata) == []
    finally:
        await api.stop()
