"""Calls/s through the shipped Kamailio config to one and to two ``tas serve`` replicas, next
to SIPp straight at one replica, all in one run (issue #14): the scaling ratio is the figure.

For each setup (straight at one replica over UDP; through Kamailio, which reaches the replicas
over TCP, to one and to two replicas) SIPp runs the route-aware
``tests/ha/scenarios/uac_rr.xml`` (answer -> ACK -> BYE through the proxy) at rates found by doubling then
bisection to within a quarter of the clean rate (:mod:`tests.bench.search`),
``BENCH_KAM_SECONDS`` (3) each; a rate is clean when
every call succeeded. Printed: the highest
clean rate per setup, where the CPU went (replicas', Kamailio's and SIPp's CPU seconds per
1,000 calls) and what stopped the next rate. ``BENCH_QUICK=1``: 2 s per rate, resolution 100.
Benchmarks print, they assert nothing.
On 2 cores SIPp, Kamailio and the replicas share the machine, so expect well below 2x.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.bench.search import highest_clean
from tests.ha.conftest import KAMAILIO, SCENARIOS, Kamailio, Replica, start_kamailio
from tests.ha.conftest import start_replica as _start
from tests.interop.conftest import last_stats

QUICK = os.environ.get("BENCH_QUICK") == "1"
SECONDS = float(os.environ.get("BENCH_KAM_SECONDS", "2" if QUICK else "3"))
START, CEILING = 100, 3200  # calls/s: doubling from START, then bisection
RESOLUTION = 100 if QUICK else 50
SIPP = shutil.which("sipp")


@dataclass
class Result:
    """One SIPp run: its calls and the CPU seconds each part spent on them."""

    ok: int
    failed: int
    cpu: dict[str, float]
    errors: str


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


def _sipp_cpu() -> float:
    """CPU seconds of this process's waited-for children (SIPp and its ``timeout``)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(
    target: str, rate: int, folder: Path, parts: dict[str, list[int]], transport: str
) -> Result:
    """One SIPp run of ``SECONDS`` at ``rate`` towards ``target`` over ``transport`` (SIPp's
    ``-t``: ``u1`` UDP, ``t1`` one TCP connection); ``parts`` names the server processes whose
    CPU is measured (replicas, proxy)."""
    assert SIPP is not None
    calls = int(rate * SECONDS)
    folder.mkdir(parents=True, exist_ok=True)
    before = {name: sum(_cpu(p) for p in pids) for name, pids in parts.items()}
    sipp_before = _sipp_cpu()
    subprocess.run(
        ["timeout", "-s", "KILL", str(int(SECONDS) + 40), SIPP, target, "-sf",
         str(SCENARIOS / "uac_rr.xml"), "-s", "+4790000000", "-i", "127.0.0.1", "-p", "0",
         "-m", str(calls), "-r", str(rate), "-d", "0", "-l", str(max(200, rate)),
         "-t", transport, "-nostdin", "-trace_stat", "-stf", str(folder / "s.csv"), "-fd", "1",
         "-trace_err", "-error_file", str(folder / "errors.log"),
         "-recv_timeout", "5000", "-timeout", f"{int(SECONDS) + 30}s"],
        cwd=folder, capture_output=True, check=False,
    )  # fmt: skip
    cpu = {name: sum(_cpu(p) for p in pids) - before[name] for name, pids in parts.items()}
    cpu["sipp"] = _sipp_cpu() - sipp_before
    errors = folder / "errors.log"
    first_error = errors.read_text(errors="replace")[:300] if errors.exists() else ""
    if not (folder / "s.csv").exists():
        return Result(0, calls, cpu, first_error)
    row = last_stats(folder / "s.csv")
    return Result(int(row["SuccessfulCall(C)"]), int(row["FailedCall(C)"]), cpu, first_error)


def _setup(
    target: str, parts: dict[str, list[int]], tmp: Path, name: str, transport: str = "u1"
) -> int:
    """The highest clean rate (doubling from ``START``, then bisecting to ``RESOLUTION``);
    prints it, its CPU split and what stopped the next rate."""

    def probe(rate: int) -> tuple[bool, Result]:
        result = _run(target, rate, tmp / f"{name}-{rate}".replace(" ", "_"), parts, transport)
        return not result.failed and result.ok >= rate * SECONDS, result

    rate, best, bad, worse = highest_clean(probe, START, CEILING, RESOLUTION, relative=0.25)
    stopped = f"at {bad}/s: {worse.ok} ok, {worse.failed} failed" if worse else "at the ceiling"
    if best is None:
        print(f"  {name:<24} no clean rate ({stopped})", flush=True)
        return 0
    split = "  ".join(f"{k} {1000 * v / best.ok:4.2f}" for k, v in best.cpu.items())
    print(
        f"  {name:<24} highest clean rate {rate:>5} calls/s; CPU s per 1,000 calls: {split};"
        f" stopped {stopped}",
        flush=True,
    )
    return rate


def main() -> None:
    if SIPP is None or KAMAILIO is None:
        print("  skipped: needs sipp and kamailio (apt-get install sip-tester kamailio)")
        return
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        print(
            f"SIPp uac_rr.xml (UDP), {SECONDS:g} s per rate, doubling from {START}/s then "
            f"bisecting to a quarter; load before: {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        # the lag guard off: on a shared machine its 503s measure the neighbours, not us
        unguarded = "[limits]\nlag_threshold = 0\n"
        replicas: list[Replica] = [_start(tmp, "a", unguarded), _start(tmp, "b", unguarded)]
        kams: list[Kamailio] = []
        found: dict[str, int] = {}
        try:
            a = replicas[0]
            direct = {"replicas": [a.process.pid]}
            found["direct"] = _setup(f"127.0.0.1:{a.port}", direct, tmp, "direct to 1 replica")
            for n in (1, 2):
                kam = start_kamailio(KAMAILIO, tmp / f"k{n}", [r.port for r in replicas[:n]])
                kams.append(kam)
                parts = {
                    "replicas": [r.process.pid for r in replicas[:n]],
                    "kamailio": [kam.process.pid],
                }
                found[str(n)] = _setup(
                    f"127.0.0.1:{kam.port}", parts, tmp, f"Kamailio -> {n} replica(s)"
                )
                kam.stop()
        finally:
            for kam in kams:
                kam.stop()
            for replica in replicas:
                replica.stop()
        if found.get("1"):
            print(f"  scaling 1 -> 2 replicas through Kamailio: {found['2'] / found['1']:.2f}x")
