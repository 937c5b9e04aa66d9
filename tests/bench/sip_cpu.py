"""Server CPU per call of ``sipp -sn uac`` (INVITE/200/ACK/BYE/200 over UDP) at one fixed
rate, for ``tas serve`` next to the naive responder (:mod:`tests.bench.naive_responder`) and
SIPp's own ``-sn uas`` in the same run (issue 17 goal 1): the figure is the ratio to the naive
responder. CPU is the server process's user+system time (``/proc/PID/stat``) from just before
the load until the server is idle again (so work left queued after the last call counts), not
wall time: the machine may be shared.
"""

from __future__ import annotations

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


def _measure(
    name: str, process: subprocess.Popen[bytes], port: int, workdir: Path, rate: int, seconds: float
) -> CpuFigure:
    try:
        _idle(process.pid, 20.0)
        before = _cpu(process.pid)
        clean, stats = run_uac(port, rate, seconds, workdir)
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
        name, 1e6 * used / max(calls, 1), clean, int(stats.get("SuccessfulCall(C)", 0))
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
    uas = subprocess.Popen(
        [*_pin(0), SIPP, "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-nostdin",
         "-buff_size", "4194304"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.5)  # SIPp's uas answers no probe: give it time to bind
    figures.append(_measure("sipp uas", uas, port, workdir, rate, seconds))
    port = _port()
    figures.append(_measure("tas serve", start_tas(port, workdir), port, workdir, rate, seconds))
    return figures


def report(figures: list[CpuFigure], rate: int, seconds: float) -> None:
    floor = figures[0].us_per_call or 1.0
    print(f"server CPU per call, sipp uac at {rate}/s for {seconds:g} s (incl. the drain after):")
    for f in figures:
        print(
            f"  {f.server:<16} {f.us_per_call:8.0f} us/call  {f.us_per_call / floor:5.1f}x naive"
            f"  ({f.successful} calls, {'clean' if f.clean else 'NOT clean'})",
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
