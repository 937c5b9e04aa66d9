"""`tas serve` command line: listen overrides, instance and drain options (no sockets)."""

from __future__ import annotations

from typing import Any

import pytest

from tas.config import Settings
from tas.server_cli import _listen


def test_listen_overrides() -> None:
    assert _listen(()) is None  # keep the configured listeners
    assert _listen(("off",)) == []  # disable the transport
    assert _listen(("127.0.0.1:5070", "[::1]:5070")) == ["127.0.0.1:5070", "[::1]:5070"]


def test_instance_and_drain_timeout_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--instance 2`` offsets the configured ports (not the ones given on the command line);
    ``--drain-timeout`` overrides ``[server] drain_timeout``."""
    from click.testing import CliRunner

    import tas.transport.loop
    from tas import server_cli

    seen: list[Settings] = []

    def fake_run(main: Any, *, server: bool = False) -> None:
        assert main is None and server

    def fake_serve(settings: Settings, **_: Any) -> None:
        seen.append(settings)  # instead of the serve() coroutine

    monkeypatch.setattr(tas.transport.loop, "run", fake_run)
    monkeypatch.setattr("tas.server.serve", fake_serve)
    monkeypatch.delenv("TAS_CONFIG", raising=False)
    result = CliRunner().invoke(
        server_cli.serve,
        [
            "--instance",
            "2",
            "--drain-timeout",
            "5",
            "--udp",
            "127.0.0.1:7000",
            "--log-level",
            "ERROR",
        ],
    )
    assert result.exit_code == 0, result.output
    (settings,) = seen
    assert settings.sip.udp == ["127.0.0.1:7000"]  # as given
    assert settings.sip.tcp == ["127.0.0.1:5260"] and settings.metrics.listen == "127.0.0.1:9300"
    assert settings.server.index == 2 and settings.server.drain_timeout == 5.0
    assert settings.instance_id.endswith("-2")
    assert CliRunner().invoke(server_cli.serve, ["--instance", "151"]).exit_code == 2
