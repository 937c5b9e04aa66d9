"""Issue 17 goal 2, memory: RSS per held call and RSS drift at steady load, ``tas serve`` next to
SIPp's own ``-sn uas`` answering the same calls in the same run.

*Held calls*: SIPp places ``BENCH_MEM_CALLS`` (3,000; issue 17 asks 10,000, which takes this
bench ~3 minutes: ``BENCH_MEM_CALLS=10000``) calls of ``scenarios/uac_held.xml`` at
``BENCH_MEM_RATE`` (250) calls/s to the TAS, ``BENCH_MEM_PEER_RATE`` (2,000) to SIPp's uas,
``-l`` = all of them, each paused (held) after its ACK until every call is up. The offer is
``a=inactive`` (RFC 3264 §6.1), so the TAS keeps each call's dialog, call record and media session (its RTP/RTCP sockets) without sending RTP: 10,000 calls of
silence would be 500,000 packets/s, which this bench cannot measure memory under. The server's
VmRSS is read once it is idle before the calls (after a warm-up of a few hundred calls) and
again once every call is held and the INVITE transactions have ended (T1 = 100 ms on loopback,
so RFC 6026's Timer L of 64*T1 ends them 6.4 s after the 2xx, not 32 s): (held - before) /
held calls. Then the BYEs arrive and the RSS
after release is printed too (CPython keeps freed arenas, so it need not fall to the start).

*Drift*: ``BENCH_MEM_DRIFT`` seconds (10) of steady load (``BENCH_MEM_DRIFT_RATE`` 100 calls/s,
each held 2 s: ~200 concurrent calls); the RSS is sampled every second and the drift is the
last sample against the first one after the first third. ``--soak`` runs it for 600 s on the
TAS (60 s on SIPp's uas; ``make bench-soak``, issue 17: RSS flat within ± 5 % over 10 minutes).

*Where the memory goes*: ``--trace`` runs ``tas serve`` under tracemalloc
(:mod:`tests.bench.traced_tas`) and prints the allocation sites that grew most per held call.

The TAS's RTP ports are 40000-60999 (10,500 pairs; the top of the kernel's ephemeral range,
above the fixed ports of bench_media and bench_rtp_jitter); ``BENCH_MEM_PORTS=low-high``
overrides it. Benchmarks print, they
assert nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.bench.bench_sip_calls import SIPP, _answers_options, _pin, _port
from tests.interop.conftest import last_stats

CALLS = int(os.environ.get("BENCH_MEM_CALLS", "3000"))
RATE = int(os.environ.get("BENCH_MEM_RATE", "250"))
PEER_RATE = int(os.environ.get("BENCH_MEM_PEER_RATE", "2000"))
DRIFT = float(os.environ.get("BENCH_MEM_DRIFT", "10"))
DRIFT_RATE = int(os.environ.get("BENCH_MEM_DRIFT_RATE", "100"))
SOAK = 600.0
WARMUP_CALLS = 300
T1 = 0.1  # s: loopback; the INVITE server transactions end 64*T1 after their 2xx (RFC 6026 §8.7)
SETTLE = 64 * T1 + 0.6  # s held before the RSS is read: transaction state gone, call state left
IDLE = 8.0  # s at most waiting for an idle server: held calls' RTCP keeps it above 2 % of a core
SCENARIO = Path(__file__).resolve().parent / "scenarios" / "uac_held.xml"
ROOT = Path(__file__).resolve().parents[2]
KIB = 1024


def _rss(pid: int) -> int:
    """Resident set size of ``pid`` in bytes (``VmRSS`` of /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * KIB
    raise RuntimeError(f"no VmRSS for {pid}")


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _idle(pid: int, limit: float) -> None:
    """Wait (at most ``limit`` s) until ``pid`` uses < 2 % of a core over two 0.5 s samples."""
    deadline, quiet, last = time.monotonic() + limit, 0, _cpu(pid)
    while time.monotonic() < deadline and quiet < 2:
        time.sleep(0.5)
        now = _cpu(pid)
        quiet = quiet + 1 if now - last < 0.01 else 0
        last = now


def _media_ports() -> tuple[int, int]:
    low, high = os.environ.get("BENCH_MEM_PORTS", "40000-60999").split("-")
    return int(low), int(high)


@dataclass(slots=True)
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_tas(workdir: Path, traced: Path | None = None) -> Server:
    """``tas serve`` on one core with the call limits raised past ``CALLS`` and the lag guard
    off (the machine is shared; a 503 here would measure the neighbours, not our memory)."""
    port, (low, high) = _port(), _media_ports()
    env = dict(
        os.environ,
        TAS_DATA_DIR=str(workdir / f"data_{port}"),
        TAS_LIMITS__MAX_CALLS="100000",  # past any held-call count asked for
        TAS_LIMITS__MAX_CALLS_PER_SUBSCRIBER="100000",
        TAS_LIMITS__LAG_THRESHOLD="0",
        TAS_SIP__T1=str(T1),
        TAS_MEDIA__PORT_MIN=str(low),
        TAS_MEDIA__PORT_MAX=str(high),
    )
    module = ["-m", "tas"]
    if traced is not None:
        env["BENCH_TRACE_FILE"] = str(traced)
        module = ["-m", "tests.bench.traced_tas"]
    cmd = [
        *_pin(0), sys.executable, *module, "serve", "--udp", f"127.0.0.1:{port}",
        "--tcp", "off", "--tls", "off", "--metrics", "off", "--log-level", "WARNING",
    ]  # fmt: skip
    log = (workdir / f"tas_{port}.log").open("wb")
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if _answers_options(port):
            return Server("tas serve", process, port)
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"tas serve did not start: {(workdir / f'tas_{port}.log').read_text()}")


def start_uas(workdir: Path) -> Server:
    assert SIPP is not None
    port = _port()
    process = subprocess.Popen(
        [*_pin(0), SIPP, "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-nostdin",
         "-buff_size", "4194304", "-max_socket", str(4 * CALLS)],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.5)  # SIPp's uas answers no probe: give it time to bind
    return Server("sipp uas", process, port)


def _uac(
    server: Server, workdir: Path, calls: int, rate: int, hold: float
) -> subprocess.Popen[bytes]:
    """SIPp placing ``calls`` held calls (``hold`` s each) at ``rate``; statistics every second
    into ``workdir/uac_<port>_<calls>.csv``."""
    assert SIPP is not None
    stats = workdir / f"uac_{server.port}_{calls}.csv"
    stats.unlink(missing_ok=True)
    limit = int(calls / rate + hold + 120)
    return subprocess.Popen(
        [*_pin(1), "timeout", "-s", "KILL", str(limit), SIPP, f"127.0.0.1:{server.port}",
         "-sf", str(SCENARIO), "-s", "service", "-i", "127.0.0.1", "-p", "0", "-m", str(calls),
         "-r", str(rate), "-l", str(calls), "-d", str(int(hold * 1000)), "-nostdin",
         "-buff_size", "4194304", "-max_socket", str(4 * calls), "-trace_stat", "-stf",
         str(stats), "-fd", "1", "-recv_timeout", "10000", "-timeout", f"{limit - 10}s",
         "-timeout_error"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _stats(workdir: Path, server: Server, calls: int) -> dict[str, str]:
    path = workdir / f"uac_{server.port}_{calls}.csv"
    try:
        return last_stats(path) if path.exists() else {}
    except (IndexError, OSError):
        return {}


def _count(stats: dict[str, str], key: str) -> int:
    return int(stats.get(key, "0") or 0)


@dataclass(frozen=True, slots=True)
class Held:
    server: str
    rate: int
    held: int
    failed: int
    before: int
    at_hold: int
    after: int

    @property
    def per_call(self) -> float:
        return (self.at_hold - self.before) / max(self.held, 1)


def held_calls(server: Server, workdir: Path, calls: int = CALLS, rate: int = RATE) -> Held:
    """RSS before, with every call held, and after the BYEs (see the module doc)."""
    pid = server.process.pid
    warm = _uac(server, workdir, WARMUP_CALLS, min(rate, 200), 0.5)
    warm.wait()
    _idle(pid, IDLE)
    before = _rss(pid)
    ramp = calls / rate
    uac = _uac(server, workdir, calls, rate, hold=1.1 * ramp + 3 + SETTLE)
    deadline = time.monotonic() + 1.1 * ramp + 2.5
    stats: dict[str, str] = {}
    while time.monotonic() < deadline and uac.poll() is None:
        time.sleep(0.5)
        stats = _stats(workdir, server, calls)
        started = _count(stats, "OutgoingCall(C)")
        if (
            started >= calls
            and _count(stats, "CurrentCall") + _count(stats, "FailedCall(C)") >= calls
        ):
            break
    _idle(pid, max(deadline - time.monotonic(), 1))
    time.sleep(SETTLE)
    at_hold = _rss(pid)
    stats = _stats(workdir, server, calls)
    held = _count(stats, "CurrentCall")
    try:
        uac.wait(timeout=ramp * 3 + 60)
    except subprocess.TimeoutExpired:
        uac.kill()
        uac.wait()
    _idle(pid, IDLE)
    stats = _stats(workdir, server, calls)
    return Held(server.name, rate, held, _count(stats, "FailedCall(C)"), before, at_hold, _rss(pid))


@dataclass(frozen=True, slots=True)
class Drift:
    server: str
    first: int
    last: int
    peak: int
    seconds: float
    failed: int

    @property
    def percent(self) -> float:
        return 100 * (self.last - self.first) / max(self.first, 1)


def drift(server: Server, workdir: Path, seconds: float, rate: int = DRIFT_RATE) -> Drift:
    """RSS over ``seconds`` of steady load (calls held 2 s); samples every second."""
    pid = server.process.pid
    calls = int(rate * seconds)
    uac = _uac(server, workdir, calls, rate, hold=2.0)
    begun = time.monotonic()
    samples: list[int] = []
    while uac.poll() is None and time.monotonic() - begun < seconds + 60:
        time.sleep(1.0)
        if time.monotonic() - begun <= seconds:
            samples.append(_rss(pid))
    uac.wait()
    steady = samples[len(samples) // 3 :] or samples or [0]
    failed = _count(_stats(workdir, server, calls), "FailedCall(C)")
    return Drift(server.name, steady[0], steady[-1], max(steady), seconds, failed)


def held_figure(start: Callable[[Path], Server], workdir: Path, calls: int, rate: int) -> Held:
    """:func:`held_calls` on a server of its own (``start_tas`` or ``start_uas``)."""
    server = start(workdir)
    try:
        return held_calls(server, workdir, calls, rate)
    finally:
        server.stop()


def print_held(figures: list[Held]) -> None:
    peer = figures[-1].per_call if figures[-1].per_call > 0 else None
    print(
        f"RSS per held call (scenarios/uac_held.xml, media inactive; {figures[0].rate}/s to the "
        f"TAS, {figures[-1].rate}/s to SIPp's uas):"
    )
    for f in figures:
        ratio = f"{f.per_call / peer:6.1f}x sipp uas" if peer else "  (peer: no growth)"
        print(
            f"  {f.server:<10} {f.per_call / KIB:7.2f} KiB/call {ratio}  ({f.held} held, "
            f"{f.failed} failed; RSS {f.before / 2**20:.0f} -> {f.at_hold / 2**20:.0f} MiB held,"
            f" {f.after / 2**20:.0f} MiB after the BYEs)",
            flush=True,
        )


def _print_drift(figures: list[Drift]) -> None:
    print(f"RSS drift at steady load ({DRIFT_RATE} calls/s held 2 s), last vs first sample after "
          "the first third:")  # fmt: skip
    for f in figures:
        print(
            f"  {f.server:<10} {f.percent:+6.2f} %  over {f.seconds:.0f} s  (RSS "
            f"{f.first / 2**20:.1f} -> {f.last / 2**20:.1f} MiB, peak {f.peak / 2**20:.1f} MiB,"
            f" {f.failed} failed calls)",
            flush=True,
        )


def _trace(workdir: Path, calls: int) -> None:
    """Held calls on a traced ``tas serve``: the allocation sites that grew most per call."""
    snapshots = workdir / "trace"
    server = start_tas(workdir, traced=snapshots)
    try:
        pid = server.process.pid
        warm = _uac(server, workdir, WARMUP_CALLS, 200, 0.5)
        warm.wait()
        _idle(pid, IDLE)
        os.kill(pid, signal.SIGUSR1)
        time.sleep(3)
        uac = _uac(server, workdir, calls, min(RATE, 200), hold=calls / 200 * 1.3 + 15 + SETTLE)
        deadline = time.monotonic() + calls / 200 * 1.3 + 10
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if _count(_stats(workdir, server, calls), "CurrentCall") >= calls:
                break
        _idle(pid, max(deadline - time.monotonic(), 1))
        time.sleep(SETTLE)
        held = _count(_stats(workdir, server, calls), "CurrentCall")
        os.kill(pid, signal.SIGUSR1)
        time.sleep(5)
        uac.kill()
        uac.wait()
    finally:
        server.stop()
    first = tracemalloc.Snapshot.load(str(snapshots) + ".1")
    second = tracemalloc.Snapshot.load(str(snapshots) + ".2")
    diff = second.compare_to(first, "lineno")
    total = sum(d.size_diff for d in diff)
    print(
        f"tracemalloc growth with {held} held calls: {total / max(held, 1):.0f} B/call; top sites:"
    )
    for stat in diff[:20]:
        frame = stat.traceback[0]
        print(
            f"  {stat.size_diff / max(held, 1):7.0f} B/call {stat.count_diff / max(held, 1):6.2f} "
            f"blocks/call  {frame.filename.replace(str(ROOT) + '/', '')}:{frame.lineno}"
        )
    print("by file:")
    for stat in second.compare_to(first, "filename")[:15]:
        name = stat.traceback[0].filename.replace(str(ROOT) + "/", "")
        print(f"  {stat.size_diff / max(held, 1):7.0f} B/call  {name}")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if SIPP is None:
        print("sipp not installed: skipped (apt-get install sip-tester)")
        return
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_memory_") as tmp:
        workdir = Path(tmp)
        if "--trace" in args:
            _trace(workdir, int(os.environ.get("BENCH_MEM_CALLS", "2000")))
            return
        seconds = SOAK if "--soak" in args else DRIFT
        held: list[Held] = []
        drifts: list[Drift] = []
        for start, rate in ((start_tas, RATE), (start_uas, PEER_RATE)):
            server = start(workdir)
            try:
                if "--soak" not in args:
                    held.append(held_calls(server, workdir, rate=rate))
                # --soak: SIPp's flat RSS needs no ten minutes to show
                peer = start is start_uas and "--soak" in args
                drifts.append(drift(server, workdir, 60.0 if peer else seconds))
            finally:
                server.stop()
        if held:
            print_held(held)
        _print_drift(drifts)
    print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
