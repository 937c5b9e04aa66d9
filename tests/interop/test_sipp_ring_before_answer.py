"""``[invite] ring_before_answer`` against real SIPp callers over UDP and TCP (issue 13: the
bench's "100rel + session timers" row exchanges PRACKs because of it). A direct leg (no
registration for the number) rings first, then answers:

* the caller requires 100rel (``uac_100rel_timer_bench.xml``, the bench's scenario): the 180
  is reliable (``Require: 100rel``, ``RSeq``), SIPp PRACKs it, and the 200 carries
  ``Session-Expires`` and ``Require: timer`` (RFC 3262 §3, RFC 4028 §9);
* the PRACK comes 0.4 s after the 180 (``uac_ring_late_prack.xml``), after the 0.3 s ring
  time: the 200 waits for it (a 200 during SIPp's pause fails the call);
* SIPp's built-in ``uac`` (no 100rel): an unreliable 180, the 200 after the ring time.
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
RING = 0.3


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TasServer]:
    settings = server_settings(tmp_path / "data")
    settings.invite.ring_before_answer = RING
    settings.limits.lag_threshold = 0  # asserts call success on a shared machine
    running = TasServer(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop(grace=2.0)


@pytest.mark.parametrize("transport", ["u1", "t1"], ids=["udp", "tcp"])
@pytest.mark.parametrize(
    "caller",
    [["-sf", str(SCENARIOS / "uac_100rel_timer_bench.xml")],
     ["-sf", str(SCENARIOS / "uac_ring_late_prack.xml")],
     ["-sn", "uac"]],
    ids=["100rel-timers", "late-prack", "no-100rel"],
)  # fmt: skip
async def test_a_direct_leg_rings_then_answers(
    sipp: str, server: TasServer, tmp_path: Path, transport: str, caller: list[str]
) -> None:
    host, port = server.stack.local["UDP" if transport == "u1" else "TCP"]
    args = [
        f"{host}:{port}", *caller, "-t", transport, "-m", "1", "-i", "127.0.0.1",
        "-p", str(free_port()), "-mp", str(free_port()), "-s", "+4799990098",
        "-timeout", "30", "-timeout_error",
    ]  # fmt: skip
    code, stats, errors = await asyncio.to_thread(run_sipp, sipp, tmp_path, args, seconds=40)
    assert code == 0, f"sipp exit {code}: {errors[-3000:]}"
    assert int(stats["SuccessfulCall(C)"]) == 1 and int(stats["FailedCall(C)"]) == 0
    await settled(server, 10.0)
    (leg,) = server.app.journals
    kinds = leg.kinds
    assert kinds.index("ringing") < kinds.index("answered")
    record = leg.record
    assert record.answered is not None and record.started is not None
    assert (record.answered - record.started).total_seconds() >= RING * 0.9
    late = caller[-1].endswith("uac_ring_late_prack.xml")
    (answered,) = [detail for kind, detail in leg.notes if kind == "answered"]
    assert answered == ("200 held for the PRACK" if late else "200 sent")
