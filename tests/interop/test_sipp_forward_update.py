"""Issue 13 row 4 on a forwarded (B2BUA) call, over UDP and TCP: SIPp plays the operator
core and calls an in-process ``tas serve`` whose policy forwards the number to a second SIPp.
Once answered, the core sends UPDATE with a new SDP in the confirmed dialog (RFC 3311, the
usual session refresh of a core): the TAS offers it to the target as a re-INVITE (RFC 3261
§14), answers the UPDATE 200 with the target's SDP, and the call goes on to the caller's BYE
(it used to be 405 and the call torn down). And the other way: the target sends UPDATE without
SDP in the early dialog of the TAS's INVITE (after its 180): 200, not 481 (RFC 3311 §5.2)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from registrations.model import Route
from tas.calls.policy import Action, Policy
from tas.calls.records import Outcome
from tas.server import TasServer
from tests.integration.calls.calls_helpers import SUBSCRIBER, register, settled
from tests.interop.conftest import free_port, run_sipp
from tests.interop.sipp_uas import sipp_finished, start_sipp_uas

pytestmark = [pytest.mark.interop, pytest.mark.timeout(120)]

SCENARIOS = Path(__file__).parent / "scenarios"


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
    target_sipp = await start_sipp_uas(
        sipp, tmp_path / "target", port, transport,
        scenario=SCENARIOS / callee, extra=["-mp", str(free_port())],
    )  # fmt: skip
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
    finally:
        await sipp_finished(target_sipp, tmp_path / "target")
    await settled(server, 10.0)
    caller_leg, forwarded = server.app.journals
    assert caller_leg.record.outcome == forwarded.record.outcome == Outcome.FORWARDED.value
    assert "bye" in caller_leg.kinds
