"""The real commands as processes: ``tas sandbox`` serving, ``tas register`` talking to it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

N1 = "+4799990001"
URI = "sips:tas.example.com:5061"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAS_")}
    env.update(PYTHONUNBUFFERED="1", TAS_DATA_DIR=str(tmp_path), TAS_OPERATOR__ATTEMPTS="1")
    env.update(extra)
    return env


@pytest.fixture
def sandbox_address(tmp_path: Path) -> Iterator[str]:
    proc = subprocess.Popen(
        ["timeout", "60", sys.executable, "-m", "tas", "sandbox", "--grpc", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "tas sandbox: … on 127.0.0.1:PORT (auth off); Ctrl-C stops"
    if " on 127.0.0.1:" not in line:
        proc.kill()
        pytest.fail(f"tas sandbox did not start: {line!r} {proc.communicate()[1]!r}")
    yield line.split(" on ", 1)[1].split()[0]
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=20)


def tas(tmp_path: Path, address: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["timeout", "30", sys.executable, "-m", "tas", "register", *args],
        capture_output=True,
        text=True,
        env=_env(tmp_path, TAS_SANDBOX__GRPC=address),
        check=False,
    )


@pytest.mark.slow
def test_register_against_a_running_sandbox(tmp_path: Path, sandbox_address: str) -> None:
    up = tas(tmp_path, sandbox_address, "upsert", N1, "--route", "loop", "--uri", URI, "--json")
    assert up.returncode == 0, up.stderr
    assert json.loads(up.stdout)["registrations"][0]["state"] == "registered"
    listed = json.loads(tas(tmp_path, sandbox_address, "list", "--json").stdout)
    assert [(r["number"], r["state"]) for r in listed] == [(N1, "registered")]
    bad = tas(tmp_path, sandbox_address, "upsert", N1, "--route", "loop", "--uri", "sip:x.example")
    assert (bad.returncode, bad.stderr) == (
        2,
        "error: Secure SIP domain name required: sip_uri must be a sips: URI (SIP over TLS), "
        "like sips:host or sips:host:port\n",
    )
    down = tas(tmp_path, sandbox_address, "delete", N1, "--json")
    assert down.returncode == 0, down.stderr
    assert [s["action"] for s in json.loads(down.stdout)["steps"]] == ["delete"]
