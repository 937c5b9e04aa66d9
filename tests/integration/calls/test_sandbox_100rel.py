"""``[sandbox] require_100rel``: the sandbox core's INVITEs to the TAS for a listed subscriber
carry ``Require: 100rel`` (RFC 3262 §4), as some operator cores send them. Real sockets
(caller UDP -> core -> TLS -> TAS): the TAS's 18x go reliably and the core PRACKs them; a FORK
leg is still CANCELled with ``Reason: SIP;cause=200`` when the handset answers, a LOOP call is
still forwarded and answered. A subscriber not listed gets no PRACK exchange at all."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from media import tones
from registrations.model import Route
from tas.calls.records import Outcome
from tas.demo import place_call
from tas.server import TasServer
from tests.integration.calls.calls_helpers import (
    CALLER,
    SUBSCRIBER,
    register,
    server_settings,
    settled,
)


@pytest.fixture
async def server(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> AsyncIterator[TasServer]:
    caplog.set_level(logging.DEBUG, logger="tas.transport")  # the SIP trace, before the stacks
    settings = server_settings(tmp_path / "data")
    settings.sandbox.require_100rel = [SUBSCRIBER]
    running = TasServer(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop(grace=2.0)


def _pracks_to_tas(server: TasServer, caplog: pytest.LogCaptureFixture) -> list[str]:
    tas_port = server.stack.local["TLS"][1]
    return [
        m
        for r in caplog.records
        if "event=sip_out" in (m := r.getMessage()) and "line='PRACK " in m and f":{tas_port} " in m
    ]


async def _call(server: TasServer, callee: str) -> int:
    assert server.core is not None
    result = await place_call(
        server.engine,
        server.core.address("UDP"),
        CALLER,
        callee,
        speak_after=0.1,
        message=tones.tone([700.0], 0.3),
        hangup_after=1.0,
    )
    await settled(server)
    return result.status


async def test_fork_leg_requiring_100rel_pracks_our_180_and_is_cancelled_with_reason(
    server: TasServer, caplog: pytest.LogCaptureFixture
) -> None:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.FORK)
    server.core.handsets.set(SUBSCRIBER, "answer:1.0")  # the TAS has rung by then
    assert await _call(server, SUBSCRIBER) == 200
    (leg,) = server.app.journals
    assert leg.kinds == ["invite", "ringing", "cancel"]
    assert leg.record.outcome == Outcome.ANSWERED_ELSEWHERE.value
    assert len(_pracks_to_tas(server, caplog)) == 1  # our 180, reliable


async def test_loop_leg_requiring_100rel_is_forwarded_with_a_reliable_180(
    server: TasServer, caplog: pytest.LogCaptureFixture
) -> None:
    await register(server, SUBSCRIBER, Route.LOOP)
    assert await _call(server, SUBSCRIBER) == 200
    leg2, leg3 = server.app.journals
    assert leg2.record.outcome == leg3.record.outcome == Outcome.FORWARDED.value
    assert "answered" in leg2.kinds and "bye" in leg2.kinds
    assert len(_pracks_to_tas(server, caplog)) == 1  # the handset's 180, relayed reliably


async def test_a_subscriber_not_listed_gets_no_prack(
    server: TasServer, caplog: pytest.LogCaptureFixture
) -> None:
    other = "+4799990007"
    await register(server, other, Route.LOOP)
    assert await _call(server, other) == 200
    assert _pracks_to_tas(server, caplog) == []
    assert [j.record.outcome for j in server.app.journals] == [Outcome.FORWARDED.value] * 2
