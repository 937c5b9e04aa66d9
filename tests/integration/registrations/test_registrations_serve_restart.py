"""``tas serve`` stopped and started again on the same data folder (real sockets, the embedded
sandbox core): a number registered with ``tas register upsert`` before the restart is still
routed by the sandbox afterwards (per its route type, not "direct"), and the refresher logs its
reconcile-on-start."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from media import tones
from registrations.model import Route
from tas.cli import cli
from tas.demo import place_call
from tas.server import TasServer
from tests.integration.calls.calls_helpers import (
    CALLER,
    SUBSCRIBER,
    eventually,
    server_settings,
    settled,
)


def _upsert(uri: str) -> Result:
    args = ["register", "upsert", SUBSCRIBER, "--route", "loop", "--uri", uri, "--json"]
    return CliRunner().invoke(cli, args, catch_exceptions=False)


async def _call(server: TasServer) -> int:
    assert server.core is not None
    result = await place_call(
        server.engine,
        server.core.address("UDP"),
        CALLER,
        SUBSCRIBER,
        speak_after=0.1,
        message=tones.tone([700.0], 0.3),
        hangup_after=0.5,
    )
    await settled(server)
    return result.status


async def test_registration_survives_a_serve_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    for name in ("TAS_CONFIG", "TAS_DATABASE__URL", "TAS_OPERATOR__TARGET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TAS_DATA_DIR", str(data))
    caplog.set_level(logging.INFO)

    first = TasServer(server_settings(data))
    await first.start()
    try:
        assert first.plane is not None and first.sips_uri is not None
        uri, tls_port = first.sips_uri, first.stack.local["TLS"][1]
        monkeypatch.setenv("TAS_SANDBOX__GRPC", first.plane.address)
        done = await asyncio.to_thread(_upsert, uri)
        assert done.exit_code == 0, done.output
        assert json.loads(done.stdout)["registrations"][0]["state"] == "registered"
        assert await _call(first) == 200
        assert [j.record.route for j in first.app.journals][:1] == ["loop"]
    finally:
        await first.stop(grace=2.0)

    caplog.clear()
    settings = server_settings(data)
    settings.sip.tls = [f"127.0.0.1:{tls_port}"]  # the registered sips: URI is ours again
    second = TasServer(settings)
    await second.start()
    try:
        assert second.sips_uri == uri and second.plane is not None
        messages = [r.getMessage() for r in caplog.records]
        assert any(m.startswith("event=sandbox_registrations_restored count=1") for m in messages)
        (kept,) = second.plane.registrations_for(SUBSCRIBER)
        assert (kept.sip_uri, kept.route) == (uri, Route.LOOP)
        await eventually(
            lambda: any(
                r.getMessage().startswith("event=registrations_reconciled reason=start upserted=1")
                for r in caplog.records
            )
        )
        assert await _call(second) == 200
        (leg2, leg3) = second.app.journals  # through the TAS: not the core's direct call
        assert (leg2.record.route, leg2.record.direction, leg3.record.direction) == (
            "loop",
            "in",
            "out",
        )
        assert leg2.record.callee == SUBSCRIBER
    finally:
        await second.stop(grace=2.0)
