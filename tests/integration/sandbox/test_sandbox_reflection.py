"""gRPC server reflection on the sandbox control plane, read the way ``grpcurl list`` /
``grpcurl describe`` do: a grpc_reflection client with no protoset lists the services and
resolves a method's request type; reflection and health work without the bearer token that
SipBreakout and Events require."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from registrations.wgtwo.sipbreakout.v1 import sipbreakout_pb2, sipbreakout_pb2_grpc
from tas.config import SandboxSettings
from tas.sandbox.grpc_server import ControlPlane


def browse(address: str) -> tuple[list[str], str, list[str]]:
    """What grpcurl shows: the service list, a method's input type and that type's fields."""
    with grpc.insecure_channel(address) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        services = sorted(database.get_services())
        pool = DescriptorPool(database)
        service = pool.FindServiceByName("wgtwo.sipbreakout.v1.SipBreakoutService")
        method = service.methods_by_name["UpsertRegistration"]
        fields = [field.name for field in method.input_type.fields]
        return services, method.input_type.full_name, fields


async def test_reflection_lists_and_describes_without_token() -> None:
    plane = ControlPlane(SandboxSettings(tokens=["sandbox-secret"]))
    address = await plane.start("127.0.0.1:0")
    try:
        services, request_type, fields = await asyncio.to_thread(browse, address)
        assert services == [
            "grpc.health.v1.Health",
            "grpc.reflection.v1alpha.ServerReflection",
            "wgtwo.events.v0.EventsService",
            "wgtwo.sipbreakout.v1.SipBreakoutService",
        ]
        expected = sipbreakout_pb2.UpsertRegistrationRequest.DESCRIPTOR
        assert request_type == expected.full_name
        assert fields == [field.name for field in expected.fields]
        async with grpc.aio.insecure_channel(address) as channel:
            health = health_pb2_grpc.HealthStub(channel)  # type: ignore[no-untyped-call]
            answer = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
            # The operator's services still want the token.
            breakout = sipbreakout_pb2_grpc.SipBreakoutServiceStub(channel)  # type: ignore[no-untyped-call]
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await breakout.UpsertRegistration(
                    sipbreakout_pb2.UpsertRegistrationRequest(), timeout=5
                )
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        await plane.stop()
