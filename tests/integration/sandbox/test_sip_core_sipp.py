"""SIPp (any UA) calling into the sandbox core: its built-in ``uac`` scenario reaches a
simulated handset directly, and a busy FALLBACK number through the scripted TAS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from media.session import MediaEngine
from tests.interop.conftest import SIPP, free_port, run_sipp

from .sip_core_peers import Sandbox, sandbox

pytestmark = [
    pytest.mark.interop,
    pytest.mark.timeout(120),
    pytest.mark.skipif(SIPP is None, reason="sipp is not installed (apt-get install sip-tester)"),
]

BOB = "+4799990000"
CALLS = 10


@pytest.fixture
async def box(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with sandbox(tmp_path, MediaEngine("127.0.0.1", 62500, 62999)) as sb:
        yield sb


@pytest.mark.parametrize("route", [None, "fallback"], ids=["direct", "fallback-busy"])
async def test_sipp_uac_through_the_core(box: Sandbox, tmp_path: Path, route: str | None) -> None:
    if route is not None:
        box.register(BOB, route)
        box.core.handsets.set(BOB, "busy")
    host, port = box.core.address("UDP")
    args = [
        f"{host}:{port}", "-sn", "uac", "-s", BOB, "-t", "u1", "-i", "127.0.0.1",
        "-p", str(free_port()), "-mp", str(free_port()), "-m", str(CALLS), "-r", "10",
        "-d", "200", "-timeout", "60", "-timeout_error",
    ]  # fmt: skip
    assert SIPP is not None
    code, stats, errors = await asyncio.to_thread(run_sipp, SIPP, tmp_path, args, seconds=90)
    assert code == 0, f"sipp exit {code}: {errors[-3000:]}"
    assert int(stats["SuccessfulCall(C)"]) == CALLS
    assert int(stats["FailedCall(C)"]) == 0
    await box.ended()
    assert len(box.core.finished) == CALLS
    assert len(box.tas.invites) == (CALLS if route else 0)
    names = {tuple(box.event_names(c.call_id)) for c in box.core.finished}
    expected = ["CALL_INITIATED", "CALL_RINGING", "CALL_ANSWERED", "CALL_ENDED"]
    if route:
        expected.insert(1, "CALL_FWD_VOICEMAIL")
    assert names == {tuple(expected)}
