"""Calls/s through the shipped Kamailio config to one and to two ``tas serve`` replicas, next
to SIPp straight at one replica, all in one run (issue #14): the scaling ratio is the figure.

For each setup SIPp runs the route-aware ``tests/ha/scenarios/uac_rr.xml`` (answer -> ACK ->
BYE through the proxy) at rising rates for ``BENCH_KAM_SECONDS`` (4) each; a rate is clean when
every call succeeded. Printed: the highest clean rate per setup and where the CPU went (the
replicas' and Kamailio's CPU seconds per 1,000 calls). Benchmarks print, they assert nothing.
On 2 cores SIPp, Kamailio and the replicas share the machine, so expect well below 2x.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.ha.conftest import KAMAILIO, SCENARIOS, Kamailio, Replica, start_kamailio
from tests.ha.conftest import start_replica as _start
from tests.interop.conftest import last_stats

SECONDS = float(os.environ.get("BENCH_KAM_SECONDS", "4"))
RATES = (100, 200, 400, 600, 800)
SIPP = shutil.which("sipp")


def _cpu(pid: int) -> float:
    """User+system CPU seconds of ``pid`` and its children so far (from /proc)."""
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _children(pid: int) -> list[int]:
    try:
        kids = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []
    return kids + [g for k in kids for g in _children(k)]


def _run(target: str, rate: int, folder: Path) -> tuple[int, int]:
    """(successful, failed) calls of one SIPp run at ``rate`` towards ``target``."""
    assert SIPP is not None
    calls = int(rate * SECONDS)
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["timeout", "-s", "KILL", str(int(SECONDS) + 40), SIPP, target, "-sf",
         str(SCENARIOS / "uac_rr.xml"), "-s", "+4790000000", "-i", "127.0.0.1", "-p", "0",
         "-m", str(calls), "-r", str(rate), "-d", "0", "-l", str(max(200, rate)),
         "-nostdin", "-trace_stat", "-stf", str(folder / "s.csv"), "-fd", "1",
         "-recv_timeout", "5000", "-timeout", f"{int(SECONDS) + 30}s"],
        cwd=folder, capture_output=True, check=False,
    )  # fmt: skip
    if not (folder / "s.csv").exists():
        return 0, calls
    row = last_stats(folder / "s.csv")
    return int(row["SuccessfulCall(C)"]), int(row["FailedCall(C)"])


def _setup(target: str, pids: list[int], tmp: Path, name: str) -> None:
    best, cpu_per_k = 0, 0.0
    for rate in RATES:
        before = sum(_cpu(p) for p in pids)
        ok, failed = _run(target, rate, tmp / f"{name}-{rate}")
        spent = sum(_cpu(p) for p in pids) - before
        if failed or ok < rate * SECONDS:
            break
        best, cpu_per_k = rate, 1000 * spent / max(ok, 1)
    print(
        f"  {name:<22} highest clean rate {best:>4} calls/s"
        f"   CPU {cpu_per_k:5.2f} s per 1,000 calls (servers + proxy)",
        flush=True,
    )


def main() -> None:
    if SIPP is None or KAMAILIO is None:
        print("  skipped: needs sipp and kamailio (apt-get install sip-tester kamailio)")
        return
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        print(f"SIPp uac_rr.xml, {SECONDS:g} s per rate, rates {RATES}:", flush=True)
        replicas: list[Replica] = [_start(tmp, "a"), _start(tmp, "b")]
        kams: list[Kamailio] = []
        try:
            a = replicas[0]
            _setup(f"127.0.0.1:{a.port}", [a.process.pid], tmp, "direct to 1 replica")
            for n in (1, 2):
                kam = start_kamailio(KAMAILIO, tmp / f"k{n}", [r.port for r in replicas[:n]])
                kams.append(kam)
                pids = [r.process.pid for r in replicas[:n]] + [kam.process.pid]
                _setup(f"127.0.0.1:{kam.port}", pids, tmp, f"Kamailio -> {n} replica(s)")
                kam.stop()
        finally:
            for kam in kams:
                kam.stop()
            for replica in replicas:
                replica.stop()
