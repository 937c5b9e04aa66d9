"""The Prometheus collector reads the consumer's counters and lag at scrape time."""

from prometheus_client import CollectorRegistry, generate_latest

from tas.events.consumer import ConsumerStats
from tas.events.metrics import ConsumerCollector


def test_counters_and_lag_are_exposed() -> None:
    stats = ConsumerStats(received=7, stored=5, duplicates=2, acked=7, reconnects=1)
    registry = CollectorRegistry()
    registry.register(ConsumerCollector(stats))
    text = generate_latest(registry).decode()
    assert "tas_events_received_total 7.0" in text
    assert "tas_events_duplicates_total 2.0" in text
    assert "tas_events_reconnects_total 1.0" in text
    assert "tas_events_lag_seconds" not in text  # nothing stored yet: no lag to report
    stats.lag = 0.25
    stats.lags.extend([0.01] * 99 + [0.25])
    text = generate_latest(registry).decode()
    assert "tas_events_lag_seconds 0.25" in text
    assert 'tas_events_lag_recent_seconds{quantile="0.5"} 0.01' in text
    assert 'tas_events_lag_recent_seconds{quantile="0.99"} 0.25' in text
