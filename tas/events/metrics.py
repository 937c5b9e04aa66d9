"""Prometheus view of :class:`~tas.events.consumer.ConsumerStats` (read at scrape time).

``registry.register(ConsumerCollector(consumer.stats))`` exposes ``tas_events_<counter>_total``,
``tas_events_lag_seconds`` (newest stored event) and ``tas_events_lag_recent_seconds`` with
``quantile`` 0.5 / 0.99 over the recent samples.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tas.events.consumer import ConsumerStats

__all__ = ["ConsumerCollector"]

_COUNTERS = {
    "received": "Events read from the stream, redeliveries included.",
    "stored": "New events committed to SQL.",
    "duplicates": "Events already stored (redelivered, or stored by another replica).",
    "unsupported": "Events of kinds not subscribed to (acked, not stored).",
    "acked": "Acks the server accepted.",
    "ack_failures": "Acks that failed (the events come back as redeliveries).",
    "store_failures": "Batches the database refused (not acked, redelivered later).",
    "batches": "Transactions that committed a batch of events.",
    "streams": "Subscribe calls made.",
    "reconnects": "Reconnects after a stream ended or failed.",
}


class ConsumerCollector(Collector):
    def __init__(self, stats: ConsumerStats, prefix: str = "tas_events") -> None:
        self.stats = stats
        self.prefix = prefix

    def collect(self) -> Iterator[Metric]:
        for name, help_text in _COUNTERS.items():
            yield CounterMetricFamily(
                f"{self.prefix}_{name}", help_text, value=getattr(self.stats, name)
            )
        if self.stats.lag is not None:
            yield GaugeMetricFamily(
                f"{self.prefix}_lag_seconds",
                "Commit time minus the core's timestamp of the newest stored event.",
                value=self.stats.lag,
            )
        lags = sorted(self.stats.lags)
        if lags:
            recent = GaugeMetricFamily(
                f"{self.prefix}_lag_recent_seconds",
                "Lag quantiles over the recent stored events.",
                labels=["quantile"],
            )
            recent.add_metric(["0.5"], statistics.median(lags))
            recent.add_metric(["0.99"], lags[min(len(lags) - 1, round(0.99 * len(lags)))])
            yield recent
