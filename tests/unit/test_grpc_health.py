"""The standard gRPC health service (tas.grpc_health) through a grpc_health.v1 stub."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tas.grpc_health import add_health


async def test_serving_then_not_serving_per_service() -> None:
    server = grpc.aio.server()
    health = add_health(server, ("pkg.Service",))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)  # type: ignore[no-untyped-call]

            async def status(service: str) -> int:
                request = health_pb2.HealthCheckRequest(service=service)
                return int((await stub.Check(request, timeout=5)).status)

            await health.set_serving(True)
            assert await status("") == health_pb2.HealthCheckResponse.SERVING
            assert await status("pkg.Service") == health_pb2.HealthCheckResponse.SERVING
            await health.set_serving(False)
            assert await status("") == health_pb2.HealthCheckResponse.NOT_SERVING
            assert await status("pkg.Service") == health_pb2.HealthCheckResponse.NOT_SERVING
            assert not health.serving
    finally:
        await server.stop(None)
