"""Our UAC (UserAgent) against SIPp's built-in ``uas`` scenario over UDP and TCP."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tas.sip.timers import TimerConfig
from tas.transport.ua import UserAgent
from tests.interop.conftest import free_port, last_stats
from tests.interop.sipp_uas import sipp_finished, start_sipp_uas, uac_towards

pytestmark = [pytest.mark.interop, pytest.mark.timeout(120)]

CALLS = 200
SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"


@pytest.fixture(autouse=True)
def no_full_collections() -> Iterator[None]:
    """SIPp's built-in uas aborts a call when an INVITE retransmission reaches it after its 200
    (it waits for the ACK at that point). Late in the whole suite, one process holds hundreds
    of tests' objects, and a full garbage collection during the burst stalled our loop past
    T1: five INVITEs were retransmitted at once and their calls died. Freezing what earlier
    tests left keeps those collections short; T1 = 2 s (a larger estimate of the round trip,
    RFC 3261 §17.1.1.1) keeps a stall from turning into retransmissions."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
async def test_our_uac_against_sipp_uas(sipp: str, tmp_path: Path, transport: str) -> None:
    port = free_port()
    stats = tmp_path / "uas.csv"
    process = await start_sipp_uas(
        sipp,
        tmp_path,
        port,
        transport,
        calls=CALLS,
        kill_after=100,
        stats=stats,
        extra=["-fd", "1"],
    )
    opts, uri = uac_towards(port, transport)
    opts = replace(opts, timers=TimerConfig(t1=2.0))
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
            await sipp_finished(process, tmp_path)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    row = last_stats(stats)
    assert int(row["SuccessfulCall(C)"]) == CALLS and int(row["FailedCall(C)"]) == 0
    assert int(row["OutOfCallMsgs(C)"]) == 0
