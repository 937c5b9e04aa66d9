"""Two ``tas serve`` replicas behind the shipped Kamailio config (issue #14): calls split
between them, and when one is killed (SIGKILL) mid-run the other carries the rest.

SIPp runs the route-aware ``uac_rr.xml`` (ACK/BYE follow Record-Route through the proxy to
the replica that answered). Figures are printed for the closing note; the assertions are the
issue's bounds: at failover at most the calls in progress on the dead replica plus one second
of new calls fail (measured: none of the new ones), and the dead replica is out of rotation
within 3 s.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.ha.conftest import sipp_uac_rr, start_kamailio, start_replica
from tests.interop.conftest import last_stats

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.timeout(240)]

RATE = 50
HOLD_MS = 1000


def _failed_invites(errors: Path) -> int:
    """Calls SIPp failed on a reply to their INVITE (new calls refused), from its error log."""
    if not errors.exists():
        return 0
    failed = set()
    for entry in re.split(r"\n(?=')", errors.read_text(errors="replace")):
        call_id = re.search(r"^Call-ID: *(\S+)", entry, re.M | re.I)
        if call_id and re.search(r"^CSeq: *\d+ INVITE", entry, re.M | re.I):
            failed.add(call_id.group(1))
    return len(failed)


def test_calls_split_then_survive_a_killed_replica(
    sipp: str, kamailio_binary: str, tmp_path: Path
) -> None:
    a, b = start_replica(tmp_path, "a"), start_replica(tmp_path, "b")
    kam = start_kamailio(kamailio_binary, tmp_path, [a.port, b.port])
    try:
        # 1. No failure: 200 calls split roughly evenly, none fails.
        even = tmp_path / "even"
        even.mkdir()
        done = subprocess.run(
            sipp_uac_rr(sipp, even, kam, calls=200, rate=RATE, hold_ms=HOLD_MS),
            cwd=even,
            capture_output=True,
        )
        row = last_stats(even / "stats.csv")
        split = (a.answered(), b.answered())
        print(f"\nHA split of 200 calls: A={split[0]} B={split[1]}")
        assert done.returncode == 0, (even / "errors.log").read_text()[-2000:]
        assert int(row["SuccessfulCall(C)"]) == 200
        assert min(split) >= 70, split
        # 2. 1,000 calls at 50/s; SIGKILL replica A at mid-run.
        run = tmp_path / "kill"
        run.mkdir()
        sipp_process = subprocess.Popen(
            sipp_uac_rr(sipp, run, kam, calls=1000, rate=RATE, hold_ms=HOLD_MS),
            cwd=run,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(10)
        in_progress = (
            int(last_stats(run / "stats.csv")["CurrentCall"])
            if (run / "stats.csv").exists()
            else RATE * HOLD_MS // 1000
        )
        a.kill()
        killed = time.monotonic()
        out_after = None
        while time.monotonic() - killed < 10:
            flags = kam.destinations().get(a.port, "")
            if flags.startswith("I"):
                out_after = time.monotonic() - killed
                break
            time.sleep(0.1)
        code = sipp_process.wait(150)
        row = last_stats(run / "stats.csv")
        failed, ok = int(row["FailedCall(C)"]), int(row["SuccessfulCall(C)"])
        refused_invites = _failed_invites(run / "errors.log")
        print(
            f"HA failover: {ok} ok, {failed} failed of 1000 at {RATE} cps "
            f"({refused_invites} of them new calls refused); "
            f"~{in_progress} calls in progress at the kill (half on A); "
            f"A out of rotation after {out_after} s; sipp exit {code}"
        )
        assert ok + failed == 1000
        assert out_after is not None and out_after <= 3.0
        # Measured: failed == the calls in progress on A (their BYEs cannot reach it), no new
        # call refused (deploy/kamailio/kamailio.cfg fails over a refused connection at once).
        # Margin for CI noise: an uneven split at the kill, a few INVITEs in flight to A.
        assert refused_invites <= 3, refused_invites
        assert failed <= in_progress // 2 + 10 + refused_invites, failed
    finally:
        kam.stop()
        for server in (a, b):
            if server.process.poll() is None:
                server.stop()
