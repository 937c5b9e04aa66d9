"""The standard gRPC health service (``grpc.health.v1.Health``, grpcio-health-checking) on
every gRPC server of ``tas serve``: the embedded sandbox (SipBreakout + Events) and the
voicemail API. SERVING while the server runs, NOT_SERVING once it drains (:mod:`tas.drain`)
or stops; the overall status (service ``""``) and each served service name are set.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio

__all__ = ["GrpcHealth", "add_health"]

_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class GrpcHealth:
    """One server's health servicer and the service names it reports."""

    def __init__(self, services: Iterable[str]) -> None:
        self.servicer = health_aio.HealthServicer()
        self.services = ("", *services)
        self.serving = False

    async def set_serving(self, serving: bool) -> None:
        """SERVING or NOT_SERVING for the overall status and every service."""
        self.serving = serving
        status = _SERVING if serving else _NOT_SERVING
        for name in self.services:
            await self.servicer.set(name, status)


def add_health(server: grpc.aio.Server, services: Iterable[str]) -> GrpcHealth:
    """Register ``grpc.health.v1.Health`` on ``server`` (before it starts); call
    ``await health.set_serving(True)`` once it listens."""
    health = GrpcHealth(services)
    health_pb2_grpc.add_HealthServicer_to_server(health.servicer, server)
    return health
