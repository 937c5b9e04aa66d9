"""SIP ladder entries, load-run figures and load plans (pure)."""

from __future__ import annotations

import csv
import io

import pytest

from tas.harness.ladder import Ladder, summarize
from tas.harness.load import LIMITS, LoadPlan
from tas.harness.summary import CallOutcome, percentile
from tas.harness.summary import summarize as summarize_load

INVITE = (
    b"INVITE sip:+4799990000@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK1"
    b"\r\nCall-ID: abc@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
)
TRYING = b"SIP/2.0 100 Trying\r\ni: abc@127.0.0.1\r\nCSeq: 1 INVITE\r\n\r\n"
BUSY = b"SIP/2.0 486 Busy Here\r\nCall-ID: abc@127.0.0.1\r\nCSeq: 1 INVITE\r\n\r\n"


def test_start_lines_become_labels() -> None:
    assert summarize(INVITE) == (
        "INVITE sip:+4799990000@127.0.0.1:5070",
        "INVITE",
        None,
        "abc@127.0.0.1",
    )
    assert summarize(TRYING) == ("100 Trying (INVITE)", "INVITE", 100, "abc@127.0.0.1")
    assert summarize(b"garbage")[2] is None
    assert summarize(b"SIP/2.0 abc\r\n\r\n") == ("SIP/2.0 abc", "", None, "")


def test_ladder_times_are_relative_and_filtered_by_call() -> None:
    ladder = Ladder(call_id="abc@127.0.0.1")
    ladder.record("out", INVITE, 100.0, "UDP:127.0.0.1:5070")
    assert not ladder.heard_from_peer
    ladder.record("in", TRYING, 100.002, "UDP:127.0.0.1:5070")
    assert ladder.record("in", BUSY.replace(b"abc", b"other"), 100.003, "UDP:x:1") is None
    ladder.record("in", BUSY, 100.010, "UDP:127.0.0.1:5070")
    assert [(round(e.at, 3), e.direction, e.status) for e in ladder.entries] == [
        (0.0, "out", None),
        (0.002, "in", 100),
        (0.01, "in", 486),
    ]
    assert ladder.heard_from_peer
    assert ladder.entries[-1].to_dict()["label"] == "486 Busy Here (INVITE)"


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


def test_load_plans_are_bounded() -> None:
    plan = LoadPlan(rate=100, concurrency=10, duration=2.5, talk=1.0)
    assert plan.planned_calls == 250
    assert plan.deadline == pytest.approx(2.5 + 1.0 + 40.0)
    for bad in (
        {"rate": 100, "concurrency": 10},  # neither calls nor duration
        {"rate": 100, "concurrency": 10, "calls": 5, "duration": 1.0},
        {"rate": 0, "concurrency": 10, "calls": 5},
        {"rate": LIMITS["rate"] + 1, "concurrency": 10, "calls": 5},
        {"rate": 10, "concurrency": 0, "calls": 5},
        {"rate": 10, "concurrency": 10, "calls": LIMITS["calls"] + 1},
        {"rate": 10, "concurrency": 10, "duration": LIMITS["duration"] + 1},
    ):
        with pytest.raises(ValueError):
            LoadPlan(**bad)
