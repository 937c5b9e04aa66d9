"""gRPC server reflection (``grpc.reflection.v1alpha.ServerReflection``, grpcio-reflection) on
every gRPC server of ``tas serve``: the embedded sandbox (SipBreakout + Events) and the voicemail
API. ``grpcurl``/``grpcui`` list and describe their services without a protoset, as they do
against the operator's own sandbox. Reflection, like health, needs no token: it reveals only the
published protobuf schema, never data.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection

__all__ = ["REFLECTION_METHOD_PREFIX", "add_reflection"]

REFLECTION_METHOD_PREFIX = f"/{reflection.SERVICE_NAME}/"


def add_reflection(server: grpc.aio.Server, services: Iterable[str]) -> tuple[str, ...]:
    """Register the reflection service on ``server`` (before it starts), listing ``services``,
    the health service and itself; returns the listed names."""
    names = (*services, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name)
    names = (*names, reflection.SERVICE_NAME)
    reflection.enable_server_reflection(names, server)
    return names
