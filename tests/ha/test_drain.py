"""SIGTERM of a replica under load behind the shipped Kamailio config (issue 14): the replica
drains (tas.drain), so no call fails.

300 calls at 30 cps, each held 2 s, over two replicas; SIGTERM to replica A (the server
process, not its ``timeout`` wrapper) at mid-run. A answers new INVITEs with 503 (Kamailio's
failure_route marks it inactive and fails the call over to B) and its OPTIONS probe with 503,
so the dispatcher lists it inactive; A's calls in progress finish, and A exits 0 after its last
call. Figures are printed for the closing note.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.ha.conftest import Replica, sipp_uac_rr, start_kamailio, start_replica
from tests.interop.conftest import last_stats

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.timeout(240)]

CALLS = 300
RATE = 30
HOLD_MS = 2000


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _server_pid(replica: Replica) -> int:
    """The ``tas serve`` process under the replica's ``timeout`` wrapper."""
    pid = replica.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert children, "no tas serve process under the timeout wrapper"
    return int(children[0])


def test_sigterm_under_load_drains_without_failed_calls(
    sipp: str, kamailio_binary: str, tmp_path: Path
) -> None:
    a, b = start_replica(tmp_path, "a"), start_replica(tmp_path, "b")
    kam = start_kamailio(kamailio_binary, tmp_path, [a.port, b.port])
    try:
        run = tmp_path / "drain"
        run.mkdir()
        sipp_process = subprocess.Popen(
            sipp_uac_rr(sipp, run, kam, calls=CALLS, rate=RATE, hold_ms=HOLD_MS),
            cwd=run,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(CALLS / RATE / 2)
        answered_before = a.answered()
        os.kill(_server_pid(a), signal.SIGTERM)
        signalled = time.monotonic()
        out_after = exited_after = None
        while time.monotonic() - signalled < 40 and exited_after is None:
            if out_after is None and kam.destinations().get(a.port, "").startswith("I"):
                out_after = time.monotonic() - signalled
            if a.process.poll() is not None:
                exited_after = time.monotonic() - signalled
            time.sleep(0.1)
        code = sipp_process.wait(150)
        row = last_stats(run / "stats.csv")
        failed, ok = int(row["FailedCall(C)"]), int(row["SuccessfulCall(C)"])
        log = a.log.read_text()
        print(
            f"\nHA drain: {ok} ok, {failed} failed of {CALLS} at {RATE} cps ({HOLD_MS} ms calls);"
            f" A had answered {answered_before} at SIGTERM; A out of rotation after {out_after}"
            f" s, exited after {exited_after} s with {a.process.returncode}; sipp exit {code}"
        )
        assert failed == 0, (run / "errors.log").read_text()[-2000:]
        assert ok == CALLS
        assert out_after is not None and out_after <= 5.0, out_after
        assert exited_after is not None, log[-3000:]
        assert a.process.returncode == 0, log[-3000:]
        assert "event=drain_end outcome=done calls_remaining=0" in log, log[-3000:]
    finally:
        kam.stop()
        for server in (a, b):
            if server.process.poll() is None:
                server.stop()


SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"


async def test_options_503_alone_takes_a_draining_replica_out(
    kamailio_binary: str, tmp_path: Path
) -> None:
    """No INVITE traffic: only the dispatcher's OPTIONS probe sees the drain (503), and the
    replica leaves rotation within the probe interval times ``ds_inactive_threshold``."""
    import asyncio

    from tas.transport.stack import StackOptions
    from tas.transport.ua import UserAgent

    a, b = start_replica(tmp_path, "a"), start_replica(tmp_path, "b")
    kam = start_kamailio(kamailio_binary, tmp_path, [a.port, b.port])
    try:
        async with await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=())) as ua:
            call = await ua.call(f"sip:service@127.0.0.1:{a.port}", sdp=SDP)  # keeps A draining
            os.kill(_server_pid(a), signal.SIGTERM)
            signalled = time.monotonic()
            out_after = None
            while time.monotonic() - signalled < 10:
                flags = await asyncio.to_thread(kam.destinations)
                if flags.get(a.port, "").startswith("I"):
                    out_after = time.monotonic() - signalled
                    break
                await asyncio.sleep(0.1)
            assert a.process.poll() is None  # still draining: the call is up
            assert kam.destinations().get(b.port, "").startswith("A")
            ready = await asyncio.to_thread(_status, f"http://127.0.0.1:{a.metrics}/readyz")
            assert ready == 503
            assert await asyncio.to_thread(_status, f"http://127.0.0.1:{b.metrics}/readyz") == 200
            assert await call.hangup() == "BYE"
        code = await asyncio.to_thread(a.process.wait, 15)
        print(f"\nHA drain, OPTIONS only: A out of rotation after {out_after} s; exit {code}")
        assert out_after is not None and out_after <= 4.0, out_after
        assert code == 0, a.log.read_text()[-3000:]
    finally:
        kam.stop()
        for server in (a, b):
            if server.process.poll() is None:
                server.stop()
