"""Load run summaries: nearest-rank percentiles, failures by status, RTP loss."""

from __future__ import annotations

import csv
import io

import pytest

from tas.harness.summary import CallOutcome, percentile
from tas.harness.summary import summarize as summarize_load


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) is None


def test_load_summary_counts_failures_by_status_and_rtp_loss() -> None:
    outcomes = [
        CallOutcome(0, 0.0, 200, 0.010, None, 50, 48, 2, 0.002),
        CallOutcome(1, 0.1, 200, 0.020, None, 50, 50, 0, 0.004),
        CallOutcome(2, 0.2, 486, None),
        CallOutcome(3, 0.3, None, None, "no response"),
        CallOutcome(4, 0.4, 200, 0.030, None, 50, 0, 0, 0.0),
    ]
    summary = summarize_load(
        outcomes,
        target="sip:x@127.0.0.1",
        transport="UDP",
        media=True,
        rate=10.0,
        concurrency=5,
        elapsed=2.0,
        generating=0.4,
    )
    assert (summary.attempted, summary.answered, summary.failed) == (5, 3, 2)
    assert summary.failures == {"486": 1, "no response": 1}
    assert summary.achieved_cps == pytest.approx(10.0)
    assert summary.setup_p50 == 0.020 and summary.setup_max == 0.030
    assert summary.loss_fraction == pytest.approx(2 / 100)  # the call without RTP is left out
    assert summary.jitter_mean == pytest.approx(0.003)
    data = summary.to_dict()
    assert data["setup_ms"]["p99"] == 30.0 and data["rtp"]["loss_percent"] == 2.0
    rows = list(csv.DictReader(io.StringIO(summary.csv())))
    assert [r["status"] for r in rows] == ["200", "200", "486", "", "200"]
    assert rows[3]["error"] == "no response" and rows[0]["setup_ms"] == "10.000"


def test_signalling_only_summary_has_no_loss_figure() -> None:
    summary = summarize_load(
        [CallOutcome(0, 0.0, 200, 0.001)],
        target="t",
        transport="TCP",
        media=False,
        rate=1.0,
        concurrency=1,
        elapsed=1.0,
        generating=0.0,
    )
    assert summary.loss_fraction is None and summary.jitter_max is None
