"""Prometheus view of the stream-connection guard (:mod:`tas.transport.connections`), read at
scrape time from the exposition thread (one snapshot per container, no hot-path cost).

* ``tas_sip_connections{direction}`` - open TCP/TLS connections, ``inbound`` / ``outbound``
* ``tas_sip_connection_limit{limit}`` - the configured ``max_connections`` /
  ``max_connections_per_source``
* ``tas_sip_connections_closed_total{reason}`` - connections closed or refused by the guard:
  ``idle_timeout``, ``header_timeout``, ``max_connections``, ``max_connections_per_source``,
  ``reset_before_open`` (RFC 3261 §18.3, RFC 5626 §3.5.1)
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tas.transport.stream import ConnectionGuard

__all__ = ["ConnectionCollector"]


class ConnectionCollector(Collector):
    def __init__(self, guard: ConnectionGuard) -> None:
        self.guard = guard

    def collect(self) -> Iterator[Metric]:
        table = self.guard.table
        inbound, total = table.inbound, len(table)
        open_ = GaugeMetricFamily(
            "tas_sip_connections", "Open SIP TCP/TLS connections.", labels=["direction"]
        )
        open_.add_metric(["inbound"], inbound)
        open_.add_metric(["outbound"], max(0, total - inbound))
        yield open_
        limits = GaugeMetricFamily(
            "tas_sip_connection_limit", "Configured connection limits (0: none).", labels=["limit"]
        )
        limits.add_metric(["max_connections"], table.limits.max_connections)
        limits.add_metric(["max_connections_per_source"], table.limits.max_per_source)
        yield limits
        closed = CounterMetricFamily(
            "tas_sip_connections_closed",
            "Connections closed or refused by the connection guard, by reason.",
            labels=["reason"],
        )
        for reason, n in sorted(dict(self.guard.closed).items()):
            closed.add_metric([reason], n)
        yield closed
