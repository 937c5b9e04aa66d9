"""Load runs of ``tas call``: 200 calls straight at the TAS and 200 through the sandbox core,
zero failed calls, with the report (JSON, CSV) and the loopback guard."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from tas.server import TasServer
from tests.integration.harness.conftest import ANNOUNCE, ANSWER, core_of, tas_call, tas_uri

pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]


async def test_200_calls_straight_at_the_tas_without_failures(
    server: TasServer, tmp_path: Path
) -> None:
    per_call = tmp_path / "calls.csv"
    result = await tas_call(
        tas_uri(server), "--rate", "100", "--calls", "200", "--concurrency", "50",
        "--talk", "0.2s", "--no-media", "--json", "--csv", str(per_call),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["attempted"], report["answered"], report["failed"]) == (200, 200, 0)
    assert report["failures"] == {} and report["stopped_early"] is None
    assert report["setup_ms"]["p50"] <= report["setup_ms"]["p99"] <= report["setup_ms"]["max"]
    assert report["achieved_cps"] > 0 and report["media"] is False
    sip = report["sip"]  # SIPp-style counters: every call INVITE/ACK/BYE, each answered once
    assert [sip["messages_sent"][k] for k in ("INVITE", "ACK", "BYE")] == [200, 200, 200]
    assert sip["messages_received"]["200"] >= 400 and sip["unexpected_messages"] == 0
    assert sum(sip["response_time_repartition"].values()) == 200
    rows = list(csv.DictReader(per_call.open()))
    assert len(rows) == 200 and {r["status"] for r in rows} == {"200"}


async def test_200_calls_through_the_core_with_media(server: TasServer) -> None:
    result = await tas_call(
        ANSWER, "--core", core_of(server), "--rate", "100", "--calls", "200",
        "--concurrency", "100", "--talk", "0.3s", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["attempted"], report["answered"], report["failed"]) == (200, 200, 0)
    rtp = report["rtp"]
    assert rtp["packets_received"] > 0 and rtp["packets_sent"] > 0
    assert rtp["loss_percent"] is not None and rtp["jitter_ms_mean"] is not None


async def test_failed_calls_are_counted_by_status_and_exit_1(server: TasServer) -> None:
    assert server.core is not None
    server.core.handsets.set(ANSWER, "busy")
    result = await tas_call(ANSWER, "--core", core_of(server), "--rate", "50", "--calls", "10",
                            "--no-media")  # fmt: skip
    assert result.exit_code == 1
    assert "486: 10" in result.stdout
    assert "FAIL: 10 of 10 calls failed" in result.stderr


async def test_a_run_by_duration_stops_generating_in_time(server: TasServer) -> None:
    result = await tas_call(tas_uri(server), "--rate", "40", "--duration", "0.5s",
                            "--talk", "0", "--no-media", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["attempted"] == 20 and report["failed"] == 0


async def test_load_prints_sipp_like_screens_and_report(server: TasServer) -> None:
    result = await tas_call(tas_uri(server), "--rate", "20", "--duration", "1.5s",
                            "--talk", "0", "--no-media", "--screen-every", "0.5s")  # fmt: skip
    assert result.exit_code == 0, result.output
    screens = [line for line in result.output.splitlines() if line.startswith("--- ")]
    assert len(screens) >= 2, result.output
    assert "calls done" in screens[0]
    header = "message     sent  retrans  received  unexpected"
    assert result.output.count(header) == len(screens) + 1  # each screen and the report
    assert "retransmissions" in result.output and "response time" in result.output
    assert "0 ms <= n < 10 ms" in result.output or "10 ms <= n < 20 ms" in result.output


async def test_load_against_nothing_is_unreachable() -> None:
    from tests.interop.conftest import free_port

    result = await tas_call(f"sip:x@127.0.0.1:{free_port()}", "--transport", "tcp",
                            "--rate", "10", "--calls", "3", "--no-media")  # fmt: skip
    assert result.exit_code == 3
    assert "UNREACHABLE" in result.stderr


async def test_load_against_a_closed_tcp_port_fails_fast() -> None:
    from tests.interop.conftest import free_port

    began = time.monotonic()
    result = await tas_call(f"sip:x@127.0.0.1:{free_port()}", "--transport", "tcp",
                            "--rate", "50", "--calls", "500", "--no-media", "--json")  # fmt: skip
    assert result.exit_code == 3
    assert time.monotonic() - began < 5  # not 10 s of generating 500 doomed calls
    report = json.loads(result.stdout)
    assert report["stopped_early"] == "target unreachable: connection refused"
    assert report["attempted"] < 500 and report["answered"] == 0


async def test_200_calls_through_the_core_to_the_tas(server: TasServer) -> None:
    """Every call: caller -> sandbox core -> TAS (LOOP, answer policy) over TLS; the TAS
    answers with its chime and hangs up after it."""
    result = await tas_call(
        ANNOUNCE, "--core", core_of(server), "--rate", "50", "--calls", "200",
        "--concurrency", "200", "--talk", "5s", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["attempted"], report["answered"], report["failed"]) == (200, 200, 0)
    assert report["rtp"]["packets_received"] > 0


async def test_load_over_tcp_without_failures(server: TasServer) -> None:
    result = await tas_call(tas_uri(server, "TCP"), "--rate", "100", "--calls", "100",
                            "--talk", "0.1s", "--no-media", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["transport"], report["answered"], report["failed"]) == ("TCP", 100, 0)


async def test_load_over_udp_to_a_closed_port_fails_fast() -> None:
    """ICMP port unreachable (a connected UDP probe's ConnectionRefusedError) stops the run at
    once instead of every call waiting 32 s for Timer B."""
    from tests.interop.conftest import free_port

    began = time.monotonic()
    result = await tas_call(f"sip:x@127.0.0.1:{free_port()}", "--transport", "udp",
                            "--rate", "50", "--calls", "100", "--no-media", "--json")  # fmt: skip
    assert result.exit_code == 3
    assert time.monotonic() - began < 10
    report = json.loads(result.stdout)
    assert report["stopped_early"].startswith("target unreachable: connection refused")
    assert report["attempted"] == 0
