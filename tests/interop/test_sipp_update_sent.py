"""UPDATE sent by the TAS (issue 13 Build 3, RFC 3311 §5.1) against real SIPp, over UDP and
TCP, on an in-process ``tas serve`` that accepts short sessions (``[sip] min_se = 3``):

* early dialog, with SDP: a forwarded call whose target, after its reliable 183, offers a new
  session in UPDATE; the TAS offers it to the caller as UPDATE in the caller's early dialog
  and answers the target with the caller's answer (``uas_183_update_early.xml`` and
  ``uac_early_update_relayed.xml`` check both bodies);
* confirmed dialog, without SDP, in our UAC role: the forward target names the TAS the
  refresher of its leg (``refresher=uac``), and the TAS refreshes it with UPDATE twice
  (``uas_refresher_uac.xml``) until the caller's BYE;
* glare: the caller answers the TAS's refresh UPDATE with 491 (``uac_update_glare.xml``);
  the TAS sends it again after the random time of RFC 3261 §14.1 (0-2 s: it does not own
  the Call-ID) and the call goes on to the caller's BYE instead of expiring.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from registrations.model import Route
from tas.calls.policy import Action, Policy
from tas.calls.records import Outcome
from tas.server import TasServer
from tests.integration.calls.calls_helpers import SUBSCRIBER, register, server_settings, settled
from tests.interop.conftest import free_port, run_sipp
from tests.interop.sipp_uas import sipp_finished, start_sipp_uas

pytestmark = [pytest.mark.interop, pytest.mark.timeout(120)]

SCENARIOS = Path(__file__).parent / "scenarios"
TRANSPORTS = pytest.mark.parametrize("transport", ["u1", "t1"], ids=["udp", "tcp"])


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TasServer]:
    settings = server_settings(tmp_path / "data")
    settings.sip.min_se = 3
    settings.limits.lag_threshold = 0  # asserts call success on a shared machine
    running = TasServer(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop(grace=2.0)


async def _caller(
    sipp: str, server: TasServer, tmp_path: Path, transport: str, caller: list[str]
) -> float:
    """Run the caller's SIPp for one call; asserts it succeeded; its duration in s."""
    host, port = server.stack.local["UDP" if transport == "u1" else "TCP"]
    args = [
        f"{host}:{port}", *caller, "-t", transport, "-m", "1", "-i", "127.0.0.1",
        "-p", str(free_port()), "-mp", str(free_port()), "-timeout", "40", "-timeout_error",
    ]  # fmt: skip
    loop = asyncio.get_running_loop()
    started = loop.time()
    code, stats, errors = await asyncio.to_thread(run_sipp, sipp, tmp_path, args, seconds=50)
    took = loop.time() - started
    assert code == 0, f"sipp exit {code}: {errors[-3000:]}"
    assert int(stats["SuccessfulCall(C)"]) == 1 and int(stats["FailedCall(C)"]) == 0
    return took


@TRANSPORTS
@pytest.mark.parametrize(
    ("caller", "callee"),
    [(["-sf", str(SCENARIOS / "uac_early_update_relayed.xml"), "-key", "number", SUBSCRIBER],
      "uas_183_update_early.xml"),
     (["-sn", "uac", "-d", "5000", "-s", SUBSCRIBER], "uas_refresher_uac.xml")],
    ids=["early-offer-relayed", "uac-refresh"],
)  # fmt: skip
async def test_the_tas_sends_update_on_a_forwarded_call(
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
    try:
        await _caller(sipp, server, tmp_path, transport, caller)
    finally:
        await sipp_finished(target_sipp, tmp_path / "target")
    await settled(server, 10.0)
    caller_leg, forwarded = server.app.journals
    assert caller_leg.record.outcome == forwarded.record.outcome == Outcome.FORWARDED.value
    assert "bye" in caller_leg.kinds


@TRANSPORTS
async def test_a_refresh_update_that_meets_glare_is_sent_again(
    sipp: str, server: TasServer, tmp_path: Path, transport: str
) -> None:
    caller = ["-sf", str(SCENARIOS / "uac_update_glare.xml"), "-s", "+4799990098"]
    took = await _caller(sipp, server, tmp_path, transport, caller)
    assert took >= 8.0  # the refresh at SE/2, then its retry; no BYE from the TAS before
    await settled(server, 10.0)
    (leg,) = server.app.journals
    assert leg.record.outcome == Outcome.ANSWERED_BY_TAS.value
    assert [d for k, d in leg.notes if k == "bye"] != ["tas hung up"]
