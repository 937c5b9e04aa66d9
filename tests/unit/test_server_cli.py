"""`tas serve` command line: log formats and listen overrides (no sockets)."""

from __future__ import annotations

import json
import logging

from tas.server_cli import JsonFormatter, KeyValueFormatter, _listen


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord("tas.server", logging.INFO, __file__, 1, message, (), None)


def test_key_value_and_json_formats() -> None:
    line = KeyValueFormatter().format(record("event=ready udp=127.0.0.1:5060"))
    assert line.startswith("ts=") and "level=info logger=tas.server event=ready" in line
    data = json.loads(JsonFormatter().format(record("event=ready udp=127.0.0.1:5060 x")))
    assert data["event"] == "ready" and data["udp"] == "127.0.0.1:5060"
    assert data["level"] == "info" and data["msg"].endswith(" x")


def test_listen_overrides() -> None:
    assert _listen(()) is None  # keep the configured listeners
    assert _listen(("off",)) == []  # disable the transport
    assert _listen(("127.0.0.1:5070", "[::1]:5070")) == ["127.0.0.1:5070", "[::1]:5070"]
