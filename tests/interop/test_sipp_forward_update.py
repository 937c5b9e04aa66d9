"""Issue 13 row 4 on a forwarded (B2BUA) call, over UDP and TCP: SIPp plays the operator
core and calls an in-process ``tas serve`` whose policy forwards the number to a second SIPp.
Once answered, the core sends UPDATE with a new SDP in the confirmed dialog (RFC 3311, the
usual session refresh of a core): the TAS offers it to the target as a re-INVITE (RFC 3261
§14), answers the UPDATE 200 with the target's SDP, and the call goes on to the caller's BYE
(it used to be 405 and the call torn down). And the other way: the target sends UPDATE without
SDP in the early dialog of the TAS's INVITE (after its 180): 200, not 481 (RFC 3311 §5.2)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from registrations.model import Route
from tas.calls.policy import Action, Policy
from tas.calls.records import Outcome
from tas.server import TasServer
from tests.integration.calls.calls_helpers import SUBSCRIBER, register, running_server, settled
from tests.interop.conftest import free_port, run_sipp

pytestmark = [pytest.mark.interop, pytest.mark.timeout(120)]

SCENARIOS = Path(__file__).parent / "scenarios"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TasServer]:
    async for running in running_server(tmp_path / "data"):
        yield running


async def _target(
    sipp: str, tmp_path: Path, port: int, mode: str, scenario: str
) -> asyncio.subprocess.Process:
    await asyncio.to_thread(tmp_path.mkdir)
    args = [
        "-s", "KILL", "60", sipp, "-sf", str(SCENARIOS / scenario), "-t", mode,
        "-i", "127.0.0.1", "-p", str(port), "-mp", str(free_port()), "-m", "1", "-nostdin",
        "-trace_err", "-error_file", str(tmp_path / "err.log"),
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        "timeout", *args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(100):  # TCP: until it accepts; UDP: the INVITE is retransmitted anyway
        if mode == "u1":
            await asyncio.sleep(0.3)
            break
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        break
    return process


@pytest.mark.parametrize("transport", ["u1", "t1"], ids=["udp", "tcp"])
@pytest.mark.parametrize(
    ("caller", "callee"),
    [(["-sf", str(SCENARIOS / "uac_update_sdp.xml")], "uas_reinvite.xml"),
     (["-sn", "uac", "-d", "300"], "uas_early_update.xml")],
    ids=["confirmed-update-sdp", "early-update-from-target"],
)  # fmt: skip
async def test_update_on_a_forwarded_call(
    sipp: str, server: TasServer, tmp_path: Path, transport: str, caller: list[str], callee: str
) -> None:
    port = free_port()
    proto = "udp" if transport == "u1" else "tcp"
    target = f"sip:+4790000001@127.0.0.1:{port};transport={proto}"
    await register(server, SUBSCRIBER, Route.LOOP)
    await server.app.policies.put(Policy(SUBSCRIBER, Action.FORWARD, target=target))
    target_sipp = await _target(sipp, tmp_path / "target", port, transport, callee)
    host, tas_port = server.stack.local["UDP" if transport == "u1" else "TCP"]
    args = [
        f"{host}:{tas_port}", *caller, "-t", transport,
        "-m", "1", "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()),
        "-s", SUBSCRIBER, "-timeout", "30", "-timeout_error",
    ]  # fmt: skip
    try:
        code, stats, errors = await asyncio.to_thread(run_sipp, sipp, tmp_path, args, seconds=40)
        assert code == 0, f"sipp exit {code}: {errors[-3000:]}"
        assert int(stats["SuccessfulCall(C)"]) == 1 and int(stats["FailedCall(C)"]) == 0
        target_code = await asyncio.wait_for(target_sipp.wait(), 30)
    finally:
        if target_sipp.returncode is None:
            target_sipp.kill()
            await target_sipp.wait()
    errors_file = tmp_path / "target" / "err.log"
    assert target_code == 0, errors_file.read_text()[-2000:] if errors_file.exists() else ""
    await settled(server, 10.0)
    caller_leg, forwarded = server.app.journals
    assert caller_leg.record.outcome == forwarded.record.outcome == Outcome.FORWARDED.value
    assert "bye" in caller_leg.kinds
