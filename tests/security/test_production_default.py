"""The production default (no sandbox, nothing configured): nothing is trusted, start-up says
so once, and even 127.0.0.1 gets the uniform answer; ``[operator] trusted`` lets it in."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tas.server import TasServer
from tests.integration.calls.calls_helpers import server_settings
from tests.security.peers import TRUSTED, Udp, invite


async def _first_answer(tmp_path: Path, trusted: list[str]) -> bytes:
    settings = server_settings(tmp_path / "data")
    settings.sandbox.enabled = False
    settings.operator.trusted = trusted
    server = TasServer(settings)
    await server.start()
    peer = await Udp.bind(TRUSTED)
    try:
        tas = server.stack.local["UDP"]
        data, call_id = invite("+4799990077", tas, peer.address)
        peer.send(data, tas)
        return (await peer.final(call_id))[1]
    finally:
        peer.close()
        await server.stop(grace=0.5)


async def test_nothing_trusted_by_default(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="tas.server"):
        final = await _first_answer(tmp_path, trusted=[])
    assert final.startswith(b"SIP/2.0 403 Forbidden\r\n")
    warnings = [r for r in caplog.records if "event=no_trusted_source" in r.getMessage()]
    assert len(warnings) == 1


async def test_a_configured_core_network_is_served(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tas.server"):
        final = await _first_answer(tmp_path, trusted=["127.0.0.1"])
    assert final.startswith(b"SIP/2.0 200")  # the [invite] fallback answers the core's leg
    assert not [r for r in caplog.records if "no_trusted_source" in r.getMessage()]
