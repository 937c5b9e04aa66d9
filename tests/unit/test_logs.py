"""Log lines (tas.logs): fields travel as data to the kv and JSON renderers; plain messages
are written as they are, never split into fields."""

from __future__ import annotations

import json
import logging

import pytest

from tas.logs import configure_logging, formatter, kv_text, log_event


def capture(caplog: pytest.LogCaptureFixture, message: str | None = None) -> logging.LogRecord:
    logger = logging.getLogger("tas.server")
    with caplog.at_level(logging.INFO, "tas.server"):
        if message is None:
            log_event(logger, "ready", udp="127.0.0.1:5060", calls=2, note="a b")
        else:
            logger.info(message)
    return caplog.records[-1]


def test_key_value_and_json_formats(caplog: pytest.LogCaptureFixture) -> None:
    record = capture(caplog)
    assert record.getMessage() == "event=ready udp=127.0.0.1:5060 calls=2 note='a b'"
    line = formatter("kv").format(record)
    assert line.startswith("ts=") and "level=info logger=tas.server event=ready" in line
    assert line.endswith("event=ready udp=127.0.0.1:5060 calls=2 note='a b'")  # quoted: splits back
    data = json.loads(formatter("json").format(record))
    assert data["event"] == "ready" and data["udp"] == "127.0.0.1:5060"
    assert data["calls"] == 2 and data["note"] == "a b"  # typed, and spaces kept
    assert data["level"] == "info" and data["logger"] == "tas.server" and "msg" not in data


def test_plain_messages_are_not_split_into_fields(caplog: pytest.LogCaptureFixture) -> None:
    record = capture(caplog, "event=ready udp=127.0.0.1:5060 x")
    data = json.loads(formatter("json").format(record))
    assert data["msg"] == "event=ready udp=127.0.0.1:5060 x" and "udp" not in data
    assert (
        formatter("kv")
        .format(record)
        .endswith(" logger=tas.server event=ready udp=127.0.0.1:5060 x")
    )


def test_exceptions_are_one_line(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tas.server")
    with caplog.at_level(logging.INFO, "tas.server"):
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    line = formatter("kv").format(caplog.records[-1])
    assert "\n" not in line and line.split(" exc=")[0].endswith("failed")
    assert "ValueError: boom" in json.loads(line.split(" exc=", 1)[1])
    data = json.loads(formatter("json").format(caplog.records[-1]))
    assert data["msg"] == "failed" and "ValueError: boom" in data["exception"]


def test_configure_logging_sets_one_stderr_handler() -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("debug", "json")
        assert len(root.handlers) == 1 and root.level == logging.DEBUG
        assert isinstance(root.handlers[0], logging.StreamHandler)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def test_disabled_levels_cost_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "tas.server"):
        log_event(logging.getLogger("tas.server"), "noise", level=logging.DEBUG)
    assert caplog.records == []


def test_exception_of_an_event(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tas.server")
    with caplog.at_level(logging.INFO, "tas.server"):
        try:
            raise OSError("gone")
        except OSError:
            log_event(logger, "stop_failed", level=logging.ERROR, exc_info=True, service="api")
    data = json.loads(formatter("json").format(caplog.records[-1]))
    assert data["event"] == "stop_failed" and data["service"] == "api"
    assert "OSError: gone" in data["exception"] and data["level"] == "error"


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"a": "x", "b": 2, "c": 0.5}, "a=x b=2 c=0.5"),
        ({"a": "", "b": "two words", "c": "k=v"}, "a='' b='two words' c='k=v'"),
        ({"a": None, "b": True}, "a=None b=True"),
    ],
)
def test_kv_text_quotes_what_would_not_split_back(fields: dict[str, object], text: str) -> None:
    assert kv_text(fields) == text
