"""A forwarded LOOP call through the sandbox core that lives past three session refreshes
(RFC 4028 §10) over real sockets: ``[sip] session_expires = 3`` (``min_se`` lowered to match)
makes every leg between the core and the TAS refresh by UPDATE each 1.5 s; the call still ends
by the caller's BYE, not by an expired session."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from media import tones
from registrations.model import Route
from tas.demo import place_call
from tas.server import TasServer
from tests.integration.calls.calls_helpers import (
    CALLER,
    SUBSCRIBER,
    register,
    server_settings,
    settled,
)

SESSION_EXPIRES = 3  # s: a refresh every 1.5 s on each leg


def _updates(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The UPDATEs either stack sent (each ``event=sip_out`` trace line of one)."""
    return [
        r.getMessage()
        for r in caplog.records
        if "event=sip_out" in r.getMessage() and "line='UPDATE " in r.getMessage()
    ]


async def test_forwarded_loop_call_lives_past_three_refreshes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tas.transport")  # before the stacks open
    settings = server_settings(tmp_path / "data")
    settings.sip.session_expires = SESSION_EXPIRES
    settings.sip.min_se = SESSION_EXPIRES
    server = TasServer(settings)
    await server.start()
    try:
        await register(server, SUBSCRIBER, Route.LOOP)
        assert server.core is not None
        result = await place_call(
            server.engine,
            server.core.address("UDP"),
            CALLER,
            SUBSCRIBER,
            speak_after=0.1,
            message=tones.tone([700.0], 0.3),
            hangup_after=5.5,
        )
        await settled(server)
        assert result.status == 200
        leg2, leg3 = server.app.journals
        for leg in (leg2, leg3):
            assert "answered" in leg.kinds and "bye" in leg.kinds
        updates = _updates(caplog)
        tas_port = server.stack.local["TLS"][1]
        # leg 2 (core -> TAS) is refreshed by the core, leg 3 (TAS -> core) by the TAS
        to_tas = [u for u in updates if f":{tas_port} " in u]
        from_tas = [u for u in updates if u not in to_tas]
        assert len(to_tas) >= 3, updates
        assert len(from_tas) >= 3, updates
        messages = [r.getMessage() for r in caplog.records]
        assert not any("session expired" in m for m in messages)
    finally:
        await server.stop(grace=2.0)
