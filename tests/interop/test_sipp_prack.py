"""Reliable provisionals from ``tas serve`` itself, PRACKed by real SIPp (issue 13 row 1,
RFC 3262), over UDP and TCP. SIPp plays the operator core with ``Require: 100rel``:

* an ``answer`` policy with early media: the TAS's 183 with the announcement's SDP goes
  reliably (``Require: 100rel``, ``RSeq``), SIPp PRACKs it, the PRACK gets 200, the call ends
  with 480, never answered;
* a forward to a SIPp target that sends 183 with SDP and 200 at once: the TAS relays the 183
  reliably and holds the 200 back until SIPp's PRACK (§3: no 2xx before the PRACK of a 1xx
  with a session description), then the call is answered and ends with SIPp's BYE.

``uac_prack_183.xml`` fails the call (``check_it``) when the 183 is not reliable or the first
200 is not the PRACK's.
"""

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
TRANSPORTS = pytest.mark.parametrize("transport", ["u1", "t1"], ids=["udp", "tcp"])


async def _caller(sipp: str, server: TasServer, tmp_path: Path, transport: str) -> None:
    """SIPp's ``uac_prack_183.xml`` call to SUBSCRIBER; asserts it succeeded."""
    host, port = server.stack.local["UDP" if transport == "u1" else "TCP"]
    args = [
        f"{host}:{port}", "-sf", str(SCENARIOS / "uac_prack_183.xml"), "-t", transport,
        "-m", "1", "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()),
        "-timeout", "30", "-timeout_error", "-key", "number", SUBSCRIBER,
    ]  # fmt: skip
    code, stats, errors = await asyncio.to_thread(run_sipp, sipp, tmp_path, args, seconds=40)
    assert code == 0, f"sipp exit {code}: {errors[-3000:]}"
    assert int(stats["SuccessfulCall(C)"]) == 1 and int(stats["FailedCall(C)"]) == 0
    assert int(stats["FailedUnexpectedMessage(C)"]) == 0
    await settled(server, 10.0)


@TRANSPORTS
async def test_reliable_183_announcement_is_pracked(
    sipp: str, server: TasServer, tmp_path: Path, transport: str
) -> None:
    await register(server, SUBSCRIBER, Route.LOOP)
    await server.app.policies.put(Policy(SUBSCRIBER, Action.ANSWER, status=480, early_media=True))
    await _caller(sipp, server, tmp_path, transport)
    (leg,) = server.app.journals
    assert "early-media" in leg.kinds and "answered" not in leg.kinds
    assert leg.record.outcome == Outcome.REJECTED.value and leg.record.status == 480


@TRANSPORTS
async def test_forwarded_183_is_reliable_and_the_200_waits_for_the_prack(
    sipp: str, server: TasServer, tmp_path: Path, transport: str
) -> None:
    port = free_port()
    proto = "udp" if transport == "u1" else "tcp"
    target = f"sip:+4790000001@127.0.0.1:{port};transport={proto}"
    await register(server, SUBSCRIBER, Route.LOOP)
    await server.app.policies.put(Policy(SUBSCRIBER, Action.FORWARD, target=target))
    callee = await start_sipp_uas(
        sipp, tmp_path / "target", port, transport,
        scenario=SCENARIOS / "uas_183_then_200.xml", extra=["-mp", str(free_port())],
    )  # fmt: skip
    try:
        await _caller(sipp, server, tmp_path, transport)
    finally:
        await sipp_finished(callee, tmp_path / "target")
    caller_leg, forwarded = server.app.journals
    assert caller_leg.record.outcome == forwarded.record.outcome == Outcome.FORWARDED.value
    assert "answered" in forwarded.kinds and "bye" in caller_leg.kinds
