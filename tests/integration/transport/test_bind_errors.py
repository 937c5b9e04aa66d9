"""A taken address is named in the error (not a bare "[Errno 98] Address already in use")."""

from __future__ import annotations

import errno
import os
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from tas.transport.stack import StackOptions
from tas.transport.tls import ensure_self_signed, server_context
from tas.transport.ua import UserAgent


async def test_busy_udp_address_is_named() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        with pytest.raises(OSError) as raised:
            await UserAgent.open(StackOptions(udp=(f"127.0.0.1:{port}",), tcp=()))
    assert raised.value.errno == errno.EADDRINUSE
    assert f"cannot bind UDP 127.0.0.1:{port}: Address already in use" in str(raised.value)


async def test_busy_tcp_address_is_named() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(OSError) as raised:
            await UserAgent.open(StackOptions(udp=(), tcp=(f"127.0.0.1:{port}",)))
    assert f"127.0.0.1', {port}" in str(raised.value) or f"127.0.0.1:{port}" in str(raised.value)


def test_missing_certificate_is_named(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text("not used")
    with pytest.raises(FileNotFoundError, match="/nope/cert.pem"):
        server_context(Path("/nope/cert.pem"), key)
    cert, key = ensure_self_signed(tmp_path / "tls", "127.0.0.1")
    with pytest.raises(FileNotFoundError, match="/nope/ca.pem"):
        server_context(cert, key, Path("/nope/ca.pem"))
    assert server_context(cert, key).minimum_version == ssl.TLSVersion.TLSv1_2


def test_serve_names_the_missing_certificate(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TAS_DATA_DIR": str(tmp_path),
        "TAS_SIP__TLS_CERT": "/nope/cert.pem",
        "TAS_SIP__TLS_KEY": "/nope/key.pem",
        "TAS_SANDBOX__GRPC": "127.0.0.1:0",
        "TAS_VOICEMAIL__API": "127.0.0.1:0",
    }
    env.pop("TAS_CONFIG", None)
    listen = ["--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--tls", "127.0.0.1:0"]
    done = subprocess.run(
        ["timeout", "30", sys.executable, "-m", "tas", "serve", *listen, "--metrics", "off"],
        env=env,
        capture_output=True,
        text=True,
        timeout=40,
    )
    assert done.returncode == 1
    assert "cannot start: [Errno 2] No such file or directory: '/nope/cert.pem'" in done.stderr
