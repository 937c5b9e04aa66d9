"""Issue 13 row 2 beyond the 200's headers: session timers that run (RFC 4028 §10), against
real SIPp over UDP and TCP. The in-process ``tas serve`` accepts a 4 s session (``[sip] min_se
= 3``, as only tests lower it):

* SIPp names the TAS the refresher: the TAS sends UPDATE every 2 s, SIPp answers two, then
  hangs up: the call lived past both refreshes;
* SIPp names itself the refresher and never refreshes: the TAS ends the session with BYE at
  SE - min(32, SE/3) = 2.7 s after the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tas.server import TasServer
from tests.integration.calls.calls_helpers import server_settings, settled
from tests.interop.conftest import free_port, run_sipp

pytestmark = [pytest.mark.interop, pytest.mark.timeout(120)]

SCENARIOS = Path(__file__).parent / "scenarios"
TRANSPORTS = pytest.mark.parametrize("transport", ["u1", "t1"], ids=["udp", "tcp"])


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TasServer]:
    settings = server_settings(tmp_path / "data")
    settings.sip.min_se = 3
    running = TasServer(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop(grace=2.0)


async def _sipp(
    sipp: str, server: TasServer, tmp_path: Path, scenario: str, transport: str
) -> float:
    """Run ``scenario`` for one call (to a number with no registration: the direct leg
    answers); its duration in seconds."""
    host, port = server.stack.local["UDP" if transport == "u1" else "TCP"]
    args = [
        f"{host}:{port}", "-sf", str(SCENARIOS / scenario), "-t", transport, "-m", "1",
        "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()), "-s", "+4799990098",
        "-timeout", "30", "-timeout_error",
    ]  # fmt: skip
    loop = asyncio.get_running_loop()
    started = loop.time()
    code, stats, errors = await asyncio.to_thread(run_sipp, sipp, tmp_path, args, seconds=40)
    took = loop.time() - started
    assert code == 0, f"sipp exit {code}: {errors[-3000:]}"
    assert int(stats["SuccessfulCall(C)"]) == 1 and int(stats["FailedCall(C)"]) == 0
    await settled(server, 10.0)
    return took


@TRANSPORTS
async def test_the_tas_refreshes_and_the_call_lives_on(
    sipp: str, server: TasServer, tmp_path: Path, transport: str
) -> None:
    took = await _sipp(sipp, server, tmp_path, "uac_session_refreshed_by_tas.xml", transport)
    assert took >= 3.5  # two refreshes, 2 s apart
    (leg,) = server.app.journals
    assert "answered" in leg.kinds and "bye" in leg.kinds
    assert not any("expired" in detail for _, detail in leg.notes), leg.notes


@TRANSPORTS
async def test_a_missed_refresh_ends_the_session_with_our_bye(
    sipp: str, server: TasServer, tmp_path: Path, transport: str
) -> None:
    took = await _sipp(sipp, server, tmp_path, "uac_session_expiry.xml", transport)
    assert 2.5 <= took < 10
    (leg,) = server.app.journals
    assert "answered" in leg.kinds and ("ended", "session expired") in leg.notes, leg.notes
