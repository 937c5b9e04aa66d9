"""Server CPU per call of ``sipp -sn uac`` (INVITE/200/ACK/BYE/200 over UDP) at one fixed
rate, for ``tas serve`` next to the naive responder (:mod:`tests.bench.naive_responder`) and
SIPp's own ``-sn uas`` in the same run (issue 17 goal 1): the figure is the ratio to the naive
responder. CPU is the server process's user+system time (``/proc/PID/stat``) from just before
the load until the server is idle again (so work left queued after the last call counts), not
wall time: the machine may be shared.

The same runs give the call setup latency (INVITE sent to 200 OK received, SIPp's
``-trace_rtt``, whole milliseconds): its 99th percentile per server is printed beside the CPU
(issue 17 goal 1: p99 < 10 ms at half the highest clean rate; :func:`setup_latency` runs it at a
given rate for ``tas serve`` next to SIPp's uas).
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.bench.bench_sip_calls import SIPP, _answers_options, _pin, _port, run_uac, start_tas

TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class CpuFigure:
    server: str
    us_per_call: float
    clean: bool
    successful: int
    setup_p99_ms: int | None = None  # INVITE -> 200 OK, 99th percentile (SIPp rtd 1)


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14, 15)


def _idle(pid: int, limit: float = 60.0) -> None:
    """Wait until the process spends < 2 % of a core for two 0.5 s samples (bounded)."""
    deadline, quiet, last = time.monotonic() + limit, 0, _cpu(pid)
    while time.monotonic() < deadline and quiet < 2:
        time.sleep(0.5)
        now = _cpu(pid)
        quiet = quiet + 1 if now - last < 0.01 else 0
        last = now


#: SIPp writes each call's response times at once (``-rtt_freq 1``): its default keeps the last
#: calls of a run buffered and unwritten.
_RTT = ("-trace_rtt", "-rtt_freq", "1")


def _p99(workdir: Path) -> int | None:
    """The 99th percentile of SIPp's first response-time measure (the built-in uac's INVITE
    to 200 OK) in the ``*_rtt.csv`` the last run wrote; the file is removed."""
    files = list(workdir.glob("*_rtt.csv"))
    values: list[int] = []
    for path in files:
        for line in path.read_text().splitlines()[1:]:
            parts = line.split(";")
            if len(parts) >= 3 and parts[2].strip() == "1":
                values.append(int(float(parts[1])))
        path.unlink()
    if not values:
        return None
    values.sort()
    return values[max(0, math.ceil(0.99 * len(values)) - 1)]


def _measure(
    name: str, process: subprocess.Popen[bytes], port: int, workdir: Path, rate: int, seconds: float
) -> CpuFigure:
    try:
        _idle(process.pid, 20.0)
        before = _cpu(process.pid)
        for old in workdir.glob("*_rtt.csv"):
            old.unlink()
        clean, stats = run_uac(port, rate, seconds, workdir, extra=_RTT)
        p99 = _p99(workdir)
        _idle(process.pid)
        used = _cpu(process.pid) - before
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    calls = int(stats.get("SuccessfulCall(C)", "0") or 0) + int(
        stats.get("FailedCall(C)", "0") or 0
    )
    return CpuFigure(
        name, 1e6 * used / max(calls, 1), clean, int(stats.get("SuccessfulCall(C)", 0)), p99
    )


def _ready(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        if _answers_options(port):
            return
        time.sleep(0.1)
    raise RuntimeError("naive responder did not start")


def cpu_per_call(workdir: Path, rate: int = 300, seconds: float = 5.0) -> list[CpuFigure]:
    """Naive responder, SIPp uas and ``tas serve``, one after the other, each pinned to core 0
    (the load on core 1) when there are two."""
    assert SIPP is not None
    root = Path(__file__).resolve().parents[2]
    figures = []
    port = _port()
    naive = subprocess.Popen(
        [*_pin(0), sys.executable, "-m", "tests.bench.naive_responder", str(port)], cwd=root
    )
    _ready(naive, port)
    figures.append(_measure("naive responder", naive, port, workdir, rate, seconds))
    port = _port()
    figures.append(_measure("sipp uas", _sipp_uas(port, workdir), port, workdir, rate, seconds))
    port = _port()
    figures.append(_measure("tas serve", start_tas(port, workdir), port, workdir, rate, seconds))
    return figures


def _sipp_uas(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    assert SIPP is not None
    uas = subprocess.Popen(
        [*_pin(0), SIPP, "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-nostdin",
         "-buff_size", "4194304"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.5)  # SIPp's uas answers no probe: give it time to bind
    return uas


def setup_latency(workdir: Path, rate: int, seconds: float = 5.0) -> None:
    """p99 call setup latency at ``rate`` (half the highest clean rate found), SIPp's uas and
    then a fresh ``tas serve``, each pinned like :func:`cpu_per_call`."""
    port = _port()
    figures = [_measure("sipp uas", _sipp_uas(port, workdir), port, workdir, rate, seconds)]
    port = _port()
    figures.append(_measure("tas serve", start_tas(port, workdir), port, workdir, rate, seconds))
    print(f"call setup latency (INVITE -> 200 OK) at {rate}/s for {seconds:g} s:")
    for f in figures:
        p99 = "?" if f.setup_p99_ms is None else f"{f.setup_p99_ms}"
        print(f"  {f.server:<16} p99 {p99:>4} ms  ({f.successful} calls, "
              f"{'clean' if f.clean else 'NOT clean'})", flush=True)  # fmt: skip


def report(figures: list[CpuFigure], rate: int, seconds: float) -> None:
    floor = figures[0].us_per_call or 1.0
    print(f"server CPU per call, sipp uac at {rate}/s for {seconds:g} s (incl. the drain after):")
    for f in figures:
        p99 = "?" if f.setup_p99_ms is None else f"{f.setup_p99_ms}"
        print(
            f"  {f.server:<16} {f.us_per_call:8.0f} us/call  {f.us_per_call / floor:5.1f}x naive"
            f"  setup p99 {p99:>3} ms  ({f.successful} calls, {'clean' if f.clean else 'NOT clean'})",
            flush=True,
        )


def main() -> None:
    import tempfile

    if SIPP is None:
        print("sipp not installed: skipped (apt-get install sip-tester)")
        return
    rate = int(os.environ.get("BENCH_SIP_CPU_RATE", "300"))
    seconds = float(os.environ.get("BENCH_SIP_CPU_SECONDS", "5"))
    with tempfile.TemporaryDirectory(prefix="bench_cpu_") as tmp:
        report(cpu_per_call(Path(tmp), rate, seconds), rate, seconds)


if __name__ == "__main__":
    main()
