"""Real pieces for the HA tests: Debian's Kamailio (dispatcher) in front of ``tas serve``
replicas, SIPp as the caller. All on loopback, on free ports, under ``timeout``."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.interop.conftest import TasServer, free_port, sipp  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]
KAMAILIO_CFG = ROOT / "deploy" / "kamailio" / "kamailio.cfg"
SCENARIOS = Path(__file__).parent / "scenarios"
KAMAILIO = shutil.which("kamailio") or (
    "/usr/sbin/kamailio" if Path("/usr/sbin/kamailio").exists() else None
)
KAMCMD = shutil.which("kamcmd") or "/usr/sbin/kamcmd"


@pytest.fixture
def kamailio_binary() -> str:
    if KAMAILIO is None:
        pytest.skip("kamailio is not installed (apt-get install kamailio)")
    return KAMAILIO


@dataclass
class Replica(TasServer):
    metrics: int = 0
    voicemail_api: int = 0

    def kill(self) -> None:
        """SIGKILL the server itself (the child of its ``timeout`` wrapper), then the wrapper."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        for pid in children.read_text().split():
            os.kill(int(pid), signal.SIGKILL)
        self.process.kill()
        self.process.wait()

    def answered(self) -> int:
        """``tas_policy_calls_answered`` from its /metrics."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics}/metrics", timeout=5) as r:
            text = r.read().decode()
        found = re.search(r"^tas_policy_calls_answered(?:_total)? (\S+)$", text, re.M)
        assert found is not None, text[-2000:]
        return int(float(found.group(1)))


def launch_replica(
    tmp_path: Path, name: str, extra_config: str = "", voicemail: str = ""
) -> Replica:
    """One ``tas serve`` replica, launched (see :func:`wait_ready`): SIP on UDP+TCP, its own
    data folder and ``[server] instance`` (``name``), no sandbox; the proxy on 127.0.0.1 is its
    trusted source. ``extra_config``: more TOML tables (no ``[server]``); ``voicemail``: more
    keys of its ``[voicemail]`` table."""
    folder = tmp_path / name
    folder.mkdir(parents=True)
    port, metrics, api = free_port(), free_port(), free_port()
    config = folder / "tas.toml"
    config.write_text(
        "[sandbox]\nenabled = false\n"
        "[events]\nenabled = false\n"
        f'[server]\ninstance = "{name}"\n'  # each replica its own name, not all "<host>-0"
        f'[metrics]\nlisten = "127.0.0.1:{metrics}"\n'
        '[operator]\ntrusted = ["127.0.0.1"]\n'
        f"{extra_config}"
        f'[voicemail]\napi = "127.0.0.1:{api}"\n{voicemail}'
    )
    log = folder / "tas.log"
    cmd = [
        "timeout", "-s", "KILL", "300", sys.executable, "-m", "tas", "serve",
        "--config", str(config), "--udp", f"127.0.0.1:{port}", "--tcp", f"127.0.0.1:{port}",
        "--tls", "off", "--log-level", "INFO",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAS_")}
    env["TAS_DATA_DIR"] = str(folder / "data")
    with log.open("wb") as sink:
        process = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, env=env)
    return Replica(process, port, log, metrics, api)


def wait_ready(replica: Replica, seconds: float = 30) -> Replica:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if b"event=ready" in replica.log.read_bytes():
            return replica
        if replica.process.poll() is not None:
            break
        time.sleep(0.05)
    replica.process.kill()
    raise AssertionError(f"replica did not start:\n{replica.log.read_text()}")


def start_replica(
    tmp_path: Path, name: str, extra_config: str = "", voicemail: str = ""
) -> Replica:
    return wait_ready(launch_replica(tmp_path, name, extra_config, voicemail))


@dataclass
class Kamailio:
    process: subprocess.Popen[bytes]
    port: int
    ctl: str
    log: Path

    def destinations(self) -> dict[int, str]:
        """Replica port -> dispatcher flags (``AP`` active, ``IP`` inactive, ...)."""
        out = subprocess.run(
            [KAMCMD, "-s", self.ctl, "dispatcher.list"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout
        found: dict[int, str] = {}
        port = None
        for line in out.splitlines():
            line = line.strip()
            if line.startswith("URI:"):
                port = int(line.rsplit(":", 1)[1].split(";", 1)[0])
            elif line.startswith("FLAGS:") and port is not None:
                found[port] = line.split(":", 1)[1].strip()
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_kamailio(binary: str, tmp_path: Path, replicas: list[int]) -> Kamailio:
    """The shipped deploy/kamailio/kamailio.cfg, only its defines overridden."""
    port = free_port()
    folder = tmp_path / "kamailio"
    folder.mkdir(parents=True)
    dispatcher = folder / "dispatcher.list"
    dispatcher.write_text("".join(f"1 sip:127.0.0.1:{p};transport=tcp 0 0\n" for p in replicas))
    ctl = f"unix:{folder / 'ctl.sock'}"
    log = folder / "kamailio.log"
    cmd = [
        "timeout", "-s", "KILL", "300", binary, "-DD", "-E", "-f", str(KAMAILIO_CFG),
        "-Y", str(folder), "-P", str(folder / "kamailio.pid"),
        "-A", f'DISPATCHER_LIST="{dispatcher}"',
        "-A", f"LISTEN_UDP=udp:127.0.0.1:{port}", "-A", f"LISTEN_TCP=tcp:127.0.0.1:{port}",
        "-A", f'CTL_SOCKET="{ctl}"', "-A", "CHILDREN=2",
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT)
    kam = Kamailio(process, port, ctl, log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"kamailio did not start:\n{log.read_text()[-4000:]}")
        try:
            flags = kam.destinations()
        except subprocess.TimeoutExpired:
            flags = {}
        if len(flags) == len(replicas) and all(f.startswith("A") for f in flags.values()):
            return kam
        time.sleep(0.2)
    kam.stop()
    raise AssertionError(f"kamailio never saw the replicas active:\n{log.read_text()[-4000:]}")


def sipp_uac_rr(
    binary: str, folder: Path, proxy: Kamailio, *, calls: int, rate: int, hold_ms: int
) -> list[str]:
    """SIPp running the route-aware ``uac_rr.xml`` through ``proxy``: ``calls`` calls at
    ``rate`` per second, each held ``hold_ms``; statistics to ``folder/stats.csv``, errors to
    ``folder/errors.log``; bounded by ``timeout`` (120 s) and SIPp's own 100 s."""
    return [
        "timeout", "-s", "KILL", "120", binary, f"127.0.0.1:{proxy.port}", "-sf",
        str(SCENARIOS / "uac_rr.xml"), "-s", "+4790000000", "-i", "127.0.0.1", "-p", "0",
        "-m", str(calls), "-r", str(rate), "-d", str(hold_ms), "-l", "200",
        "-nostdin", "-trace_stat", "-stf", str(folder / "stats.csv"), "-fd", "1",
        "-trace_err", "-error_file", str(folder / "errors.log"),
        "-recv_timeout", "8000", "-timeout", "100s",
    ]  # fmt: skip
