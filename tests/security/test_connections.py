"""Issue #10, must-show 4: a storm of resets, idle and slow-loris connections against a real
``tas serve`` process. After the configured timeouts its descriptor count (``/proc/<pid>/fd``)
is back at the baseline and a new call over TCP is still served (RFC 3261 §18.3,
RFC 5626 §3.5.1). Loopback only; every loop is bounded in count and time."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import re
import resource
import socket
import struct
import time
from pathlib import Path

import pytest

from tas.transport.stack import StackOptions
from tas.transport.ua import UserAgent
from tests.interop.conftest import TasServer, free_port, start_tas

pytestmark = pytest.mark.timeout(120)

RESETS = 10_000
IDLE = 2_000
LORIS = 200
TLS_STALLED = 100
IDLE_SOURCES = [f"127.0.0.{i}" for i in range(2, 12)]  # 200 each: under the per-source cap
LINGER0 = struct.pack("ii", 1, 0)
CONFIG = """
[sip]
idle_timeout = 3.0
header_timeout = 2.0
tls_handshake_timeout = 2.0
max_connections = 6000
max_connections_per_source = 300
[sandbox]
enabled = false
[events]
enabled = false
[metrics]
enabled = false
[voicemail]
api = "127.0.0.1:0"
[operator]
trusted = ["127.0.0.1"]  # the final call plays the core; the storm comes from 127.0.0.2+
"""
SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"


def server_pid(server: TasServer) -> int:
    """The Python process under coreutils ``timeout``."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return int(children[0]) if children else pid


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def reset_storm(port: int) -> float:
    """RESETS connections that close with SO_LINGER 0 (an RST) at once, in batches."""
    started = time.monotonic()
    for _ in range(RESETS // 200):
        batch = [connect(port) for _ in range(200)]
        for sock in batch:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
            sock.close()
        time.sleep(0.005)
    return time.monotonic() - started


def closed(sock: socket.socket) -> bool:
    """The server closed (FIN or RST) this connection."""
    try:
        return sock.recv(4096, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def trickle(socks: list[socket.socket], seconds: float) -> float | None:
    """Slow-loris: a byte of an INVITE head every 0.2 s; when the server closed them all."""
    head = b"INVITE sip:+4790000000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK"
    for sock in socks:
        sock.send(head[:20])
    started = time.monotonic()
    alive = set(range(len(socks)))
    step = 0
    while alive and time.monotonic() - started < seconds:
        time.sleep(0.2)
        step += 1
        for i in list(alive):
            try:
                socks[i].send(head[20 + step % 40 : 21 + step % 40])
            except OSError as exc:
                assert exc.errno in (errno.EPIPE, errno.ECONNRESET), exc
                alive.discard(i)
                continue
            if closed(socks[i]):
                alive.discard(i)
    return None if alive else time.monotonic() - started


def wait_for_baseline(pid: int, baseline: int, seconds: float) -> tuple[int, float]:
    started = time.monotonic()
    count = fds(pid)
    while time.monotonic() - started < seconds:
        count = fds(pid)
        if count <= baseline + 3:
            break
        time.sleep(0.1)
    return count, time.monotonic() - started


def storm(server: TasServer, tls_port: int, figures: dict[str, object]) -> int:
    """Resets, then idle, slow-loris and stalled-TLS connections; waits for the fd count to
    come back. Returns the baseline."""
    pid = server_pid(server)
    time.sleep(1.0)
    baseline = fds(pid)
    figures["baseline_fds"] = baseline
    started = time.monotonic()
    figures["reset_storm_s"] = round(reset_storm(server.port), 2)
    held: list[socket.socket] = []
    try:
        idle = [connect(server.port, IDLE_SOURCES[i % len(IDLE_SOURCES)]) for i in range(IDLE)]
        held += idle
        loris = [connect(server.port, "127.0.1.1") for _ in range(LORIS)]
        held += loris
        stalled = [connect(tls_port, "127.0.1.2") for _ in range(TLS_STALLED)]  # no ClientHello
        held += stalled
        time.sleep(0.3)
        peak = fds(pid)
        figures["peak_fds"] = peak
        assert peak >= baseline + IDLE  # they really were open on the server
        loris_closed = trickle(loris, 10.0)
        assert loris_closed is not None, "slow-loris connections still open after 10 s"
        figures["slowloris_closed_after_s"] = round(loris_closed, 2)
        after, _ = wait_for_baseline(pid, baseline, 15.0)
        figures["after_fds"] = after
        figures["storm_to_baseline_s"] = round(time.monotonic() - started, 2)
        assert after <= baseline + 3, figures
        assert all(closed(sock) for sock in idle + stalled)
    finally:
        for sock in held:
            sock.close()
    return baseline


async def test_resets_idle_and_slowloris_fds_back_to_baseline(tmp_path: Path) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 16384:
        resource.setrlimit(resource.RLIMIT_NOFILE, (16384, max(hard, 16384)))
    config = tmp_path / "tas.toml"
    config.write_text(CONFIG)
    tls_port = free_port()
    server = start_tas(tmp_path, "--config", str(config), "--metrics", "off", tls_port=tls_port)
    figures: dict[str, object] = {}
    try:
        baseline = await asyncio.to_thread(storm, server, tls_port, figures)
        async with await UserAgent.open(StackOptions(udp=(), tcp=("127.0.0.1:0",))) as ua:
            uri = f"sip:service@127.0.0.1:{server.port};transport=tcp"
            call = await ua.call(uri, sdp=SDP)
            assert b"m=audio " in call.remote_sdp
            assert await call.hangup() == "BYE"
        figures["call_after_storm"] = "200 OK, BYE"
        await asyncio.sleep(0.5)
        final = fds(server_pid(server))
        figures["final_fds"] = final
        assert abs(final - baseline) <= 3, figures
    finally:
        code = await asyncio.to_thread(server.stop)
        (tmp_path / "figures.json").write_text(json.dumps(figures))
        print("connection storm:", json.dumps(figures))
    log = server.log.read_text()
    by_reason: dict[str, int] = {}
    for reason, count in re.findall(r"event=connection_closed reason=(\w+) count=(\d+)", log):
        by_reason[reason] = by_reason.get(reason, 0) + int(count)
    print("closed by reason (from the server's log):", by_reason)
    assert code == 0, log[-3000:]
    assert "Traceback" not in log and "exc=" not in log, log[-3000:]
    # one line per reason per interval, with counts, not one per connection
    assert log.count("event=connection_closed") < 40, log.count("event=connection_closed")
    assert by_reason.get("idle_timeout", 0) >= IDLE
    assert by_reason.get("header_timeout", 0) >= LORIS
    assert by_reason.get("tls_handshake_timeout", 0) >= TLS_STALLED
