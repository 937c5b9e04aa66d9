"""Flood runs shared by ``tests/security/test_flood.py`` and ``make bench``: the flood server in
its own process, a SIPp ``uac`` load from the trusted source 127.0.0.1 and a flood from the
untrusted 127.0.0.2 at the same time, with the server's RSS and CPU sampled from ``/proc``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.interop.conftest import SIPP, free_port, run_sipp

UNTRUSTED = "127.0.0.2"


@dataclass
class FloodResult:
    """What one run measured."""

    kind: str
    calls: int
    successful: int
    failed: int
    flood: dict[str, Any]
    server: dict[str, Any]
    rss_base_mb: float
    rss_peak_mb: float
    cpu_share: float  # server CPU seconds / wall seconds over the run
    kernel_drops: int = 0  # datagrams lost in the server socket's full receive buffer
    sipp_errors: str = field(repr=False, default="")

    @property
    def success_ratio(self) -> float:
        return self.successful / self.calls if self.calls else 0.0


class Server:
    """``python -m tests.security.flood_server`` on a free port; :meth:`stop` by its PID."""

    port: int
    pid: int

    def __init__(self, tmp: Path, lag_threshold: float | None = None) -> None:
        self.stats = tmp / "server_stats.json"
        self.log = tmp / "server.log"
        cmd = [sys.executable, "-m", "tests.security.flood_server", "--port", "0",
               "--stats", str(self.stats), "--max-seconds", "240"]  # fmt: skip
        if lag_threshold is not None:
            cmd += ["--lag-threshold", str(lag_threshold)]
        self.sink = self.log.open("wb")
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.sink)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        if not line.startswith("ready "):
            self.process.kill()
            raise AssertionError(f"flood server did not start: {line!r} {self.log.read_text()}")
        self.port = int(line.split()[1])
        self.pid = self.process.pid

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kernel_drops(self) -> int:
        """Datagrams the kernel dropped on the server's UDP socket (full receive buffer)."""
        port = f":{self.port:04X}"
        for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(port):
                return int(fields[-1])
        return 0

    def stop(self) -> dict[str, Any]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.sink.close()
        return json.loads(self.stats.read_text()) if self.stats.exists() else {}


class TasServe(Server):
    """``tas serve`` itself (call application, trust gate, sandbox core on free ports), its
    overload counters scraped from ``/metrics`` when it stops."""

    def __init__(self, tmp: Path) -> None:  # noqa: PLW0231 - another process, same interface
        self.port = free_port()
        self.log = tmp / "tas.log"
        self.stats = tmp / "none.json"
        env = dict(
            os.environ,
            TAS_DATA_DIR=str(tmp / "data"),
            TAS_SANDBOX__GRPC=f"127.0.0.1:{free_port()}",
            TAS_SANDBOX__SIP_PORT=str(free_port()),
            TAS_SANDBOX__SIP_TLS_PORT=str(free_port()),
            TAS_VOICEMAIL__API=f"127.0.0.1:{free_port()}",
        )
        cmd = [sys.executable, "-m", "tas", "serve", "--udp", f"127.0.0.1:{self.port}",
               "--tcp", f"127.0.0.1:{self.port}", "--tls", "off", "--metrics", "127.0.0.1:0",
               "--log-level", "INFO"]  # fmt: skip
        self.sink = self.log.open("wb")
        self.process = subprocess.Popen(cmd, stdout=self.sink, stderr=subprocess.STDOUT, env=env)
        self.pid = self.process.pid
        self.metrics = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            text = self.log.read_bytes()
            if b"event=ready" in text:
                line = text.split(b"event=ready", 1)[1].split(b"\n", 1)[0].decode()
                self.metrics = line.partition("metrics=")[2].split(" ")[0]
                return
            time.sleep(0.1)
        self.process.kill()
        raise AssertionError(f"tas serve did not start: {self.log.read_text()[-3000:]}")

    def stop(self) -> dict[str, Any]:
        report: dict[str, Any] = {"drops": {}, "rejects_503": {}}
        if self.metrics:
            import urllib.request

            with urllib.request.urlopen(f"http://{self.metrics}/metrics", timeout=5) as page:
                for line in page.read().decode().splitlines():
                    for name, key in (("tas_sip_overload_dropped_total", "drops"),
                                      ("tas_sip_overload_503_total", "rejects_503")):  # fmt: skip
                        if line.startswith(name + "{"):
                            reason = line.split('reason="', 1)[1].split('"', 1)[0]
                            report[key][reason] = int(float(line.rsplit(" ", 1)[1]))
        super().stop()
        return report


def run(
    tmp: Path,
    kind: str | None,
    *,
    seconds: int = 20,
    cps: int = 100,
    flood_rate: float = 30000.0,
    server: Server | None = None,
    sources: int = 1,
) -> FloodResult:
    """SIPp at ``cps`` calls/s for ``seconds`` beside a ``kind`` flood (None: no flood)."""
    assert SIPP is not None
    tmp.mkdir(parents=True, exist_ok=True)
    own = server is None
    srv = server or Server(tmp)
    try:
        base = srv.rss_mb()
        peak = [base]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.25):
                try:
                    peak[0] = max(peak[0], srv.rss_mb())
                except OSError:
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        cpu0, wall0, drops0 = srv.cpu_seconds(), time.monotonic(), srv.kernel_drops()
        flooder = None
        if kind is not None:
            flooder = subprocess.Popen(
                ["timeout", "-s", "KILL", str(seconds + 30), sys.executable, "-m",
                 "tests.security.flood_gen", "--target", f"127.0.0.1:{srv.port}",
                 "--source", UNTRUSTED, "--kind", kind, "--rate", str(flood_rate),
                 "--seconds", str(seconds), "--sources", str(sources)],
                stdout=subprocess.PIPE,
            )  # fmt: skip
        calls = cps * seconds
        args = [
            f"127.0.0.1:{srv.port}", "-sn", "uac", "-t", "u1", "-i", "127.0.0.1",
            "-p", str(free_port()), "-mp", str(free_port()), "-m", str(calls),
            "-r", str(cps), "-l", str(cps * 10), "-timeout", str(seconds + 40),
            "-buff_size", "4194304",
        ]  # fmt: skip
        _, stats, errors = run_sipp(SIPP, tmp, args, seconds=seconds + 60)
        flood: dict[str, Any] = {}
        if flooder is not None:
            out, _ = flooder.communicate(timeout=seconds + 40)
            flood = json.loads(out.decode() or "{}")
        cpu = (srv.cpu_seconds() - cpu0) / max(time.monotonic() - wall0, 1e-9)
        kernel_drops = srv.kernel_drops() - drops0
        done.set()
        sampler.join(timeout=2)
    finally:
        report = srv.stop() if own else {}
    return FloodResult(
        kind=(kind or "none") + (f"*{sources}" if sources > 1 else ""),
        calls=calls,
        successful=int(stats.get("SuccessfulCall(C)", 0)),
        failed=int(stats.get("FailedCall(C)", 0)),
        flood=flood,
        server=report,
        rss_base_mb=base,
        rss_peak_mb=peak[0],
        cpu_share=cpu,
        kernel_drops=kernel_drops,
        sipp_errors=errors,
    )
