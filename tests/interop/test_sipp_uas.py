"""Our UAC (UserAgent) against SIPp's built-in ``uas`` scenario over UDP and TCP."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from tas.transport.stack import StackOptions
from tas.transport.ua import UserAgent
from tests.interop.conftest import free_port, last_stats

pytestmark = [pytest.mark.interop, pytest.mark.timeout(120)]

CALLS = 200
SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"


async def _listening(port: int, transport: str) -> None:
    """Wait until SIPp accepts connections (TCP); UDP INVITEs are retransmitted anyway."""
    if transport == "UDP":
        await asyncio.sleep(0.3)
        return
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise AssertionError("sipp did not start listening")


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
async def test_our_uac_against_sipp_uas(sipp: str, tmp_path: Path, transport: str) -> None:
    port = free_port()
    stats = tmp_path / "uas.csv"
    mode = "u1" if transport == "UDP" else "t1"
    args = [
        "-s", "KILL", "100", sipp, "-sn", "uas", "-t", mode, "-i", "127.0.0.1",
        "-p", str(port), "-m", str(CALLS), "-nostdin", "-trace_stat", "-stf", str(stats),
        "-fd", "1", "-trace_err", "-error_file", str(tmp_path / "err.log"),
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        "timeout",
        *args,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await _listening(port, transport)
    listen = ("127.0.0.1:0",)
    opts = (
        StackOptions(udp=listen, tcp=()) if transport == "UDP" else StackOptions(udp=(), tcp=listen)
    )
    uri = f"sip:service@127.0.0.1:{port};transport={transport.lower()}"
    try:
        async with await UserAgent.open(opts) as ua:

            async def one() -> str:
                async with await ua.call(uri, sdp=SDP) as call:
                    assert b"m=audio" in call.remote_sdp
                    await asyncio.sleep(0.01)
                return await call.wait_ended()

            for start in range(0, CALLS, 20):
                results = await asyncio.gather(*(one() for _ in range(min(20, CALLS - start))))
                assert results == ["BYE"] * len(results)
            # SIPp ends each call after a timewait: closing our TCP connection before it exits
            # would fail its last calls ("connection closed"), so wait for it first
            code = await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    errors = tmp_path / "err.log"
    assert code == 0, errors.read_text()[-2000:] if errors.exists() else f"sipp exit {code}"
    row = last_stats(stats)
    assert int(row["SuccessfulCall(C)"]) == CALLS and int(row["FailedCall(C)"]) == 0
    assert int(row["OutOfCallMsgs(C)"]) == 0
