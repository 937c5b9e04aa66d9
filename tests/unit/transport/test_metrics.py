"""ConnectionCollector: open connections, limits and closings by reason."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry

from tas.transport.connections import ConnectionLimits
from tas.transport.metrics import ConnectionCollector
from tas.transport.stream import ConnectionGuard


async def test_connections_limits_and_closed_by_reason() -> None:
    guard = ConnectionGuard(asyncio.get_running_loop(), ConnectionLimits(max_per_source=7))
    guard.table.open(1, "192.0.2.1", 0.0)
    guard.table.open(2, "192.0.2.1", 0.0)
    guard.table.open(3, "198.51.100.1", 0.0, inbound=False)
    guard.event("idle_timeout", 3)
    guard.event("max_connections_per_source")
    registry = CollectorRegistry()
    registry.register(ConnectionCollector(guard))
    value = registry.get_sample_value
    assert value("tas_sip_connections", {"direction": "inbound"}) == 2
    assert value("tas_sip_connections", {"direction": "outbound"}) == 1
    assert value("tas_sip_connection_limit", {"limit": "max_connections_per_source"}) == 7
    assert value("tas_sip_connections_closed_total", {"reason": "idle_timeout"}) == 3
    assert value("tas_sip_connections_closed_total", {"reason": "max_connections_per_source"}) == 1
