"""Real peers for interop tests: SIPp (Debian ``sip-tester``) against ``tas serve``.

Tests skip only when the ``sipp`` binary is absent. Every process runs under coreutils
``timeout``, on loopback, on ports picked free for the test.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tas.server import TasServer as InProcessTas

SIPP = shutil.which("sipp")


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


@pytest.fixture
def sipp() -> str:
    if SIPP is None:
        pytest.skip("sipp is not installed (apt-get install sip-tester)")
    return SIPP


@dataclass
class TasServer:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def start_tas(
    tmp_path: Path, *extra: str, port: int | None = None, tls_port: int | None = None
) -> TasServer:
    """Start ``tas serve`` on a free port (UDP+TCP; TLS only on ``tls_port``) and wait until
    it is ready."""
    port = port or free_port()
    tmp_path.mkdir(parents=True, exist_ok=True)
    log = tmp_path / "tas.log"
    env = dict(os.environ, TAS_DATA_DIR=str(tmp_path / "data"))
    cmd = [
        "timeout", "-s", "KILL", "300", sys.executable, "-m", "tas", "serve",
        "--udp", f"127.0.0.1:{port}", "--tcp", f"127.0.0.1:{port}",
        "--tls", f"127.0.0.1:{tls_port}" if tls_port else "off",
        "--log-level", "INFO", *extra,
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if b"event=ready" in log.read_bytes():
            return TasServer(process, port, log)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"tas serve did not start:\n{log.read_text()}")


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[InProcessTas]:
    """``tas serve`` in this process (tests.integration.calls.calls_helpers settings), for the
    SIPp tests that look at its call records; stopped after the test."""
    from tests.integration.calls.calls_helpers import running_server

    async for running in running_server(tmp_path / "data"):
        yield running


@pytest.fixture
def tas_server(tmp_path: Path) -> Iterator[TasServer]:
    server = start_tas(tmp_path)
    yield server
    assert server.stop() == 0, server.log.read_text()[-4000:]


def last_stats(path: Path) -> dict[str, str]:
    """The last row of a SIPp ``-trace_stat`` CSV file (``;``-separated)."""
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    header = lines[0].rstrip(";").split(";")
    values = lines[-1].rstrip(";").split(";")
    return dict(zip(header, values, strict=False))


def run_sipp(
    sipp: str, tmp_path: Path, args: list[str], *, seconds: int = 120
) -> tuple[int, dict[str, str], str]:
    """Run sipp to completion; returns (exit code, final statistics, error log)."""
    stats = tmp_path / "sipp_stats.csv"
    errors = tmp_path / "sipp_errors.log"
    cmd = [
        "timeout", "-s", "KILL", str(seconds), sipp, *args, "-nostdin", "-trace_stat",
        "-stf", str(stats), "-fd", "1", "-trace_err", "-error_file", str(errors),
    ]  # fmt: skip
    result = subprocess.run(cmd, cwd=tmp_path, capture_output=True, timeout=seconds + 10)
    error_text = errors.read_text() if errors.exists() else ""
    if result.returncode != 0 and not stats.exists():
        error_text += result.stdout.decode(errors="replace")[-2000:]
        error_text += result.stderr.decode(errors="replace")[-2000:]
    return result.returncode, last_stats(stats) if stats.exists() else {}, error_text
