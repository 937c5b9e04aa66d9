"""Logging, set up in one place: stdlib loggers, rendered by structlog as key-value or JSON lines.

Events are logged with :func:`log_event`: the event name and its fields travel as data on the
record (``record.fields``), and the message text is their ``event=name key=value …`` form, so
stdlib handlers (and pytest's ``caplog``) see the same line as before. The structlog renderers
read the fields, never the message: ``kv`` writes ``ts=… level=… logger=… event=… key=…``,
``json`` one object per line with each field a key. A record without fields (another library's,
or a plain message) is written with its message as is (``kv``) or under ``msg`` (``json``).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from typing import Any, Literal

import structlog
from structlog.typing import EventDict, WrappedLogger

__all__ = ["LogFormat", "configure_logging", "formatter", "kv_text", "log_event"]

LogFormat = Literal["kv", "json"]

_FIELDS = "fields"  # the LogRecord attribute that carries an event's fields
_HEAD = ("ts", "level", "logger")


def log_event(
    logger: logging.Logger,
    event: str,
    /,
    *,
    level: int = logging.INFO,
    exc_info: bool | BaseException = False,
    **fields: Any,
) -> None:
    """Log ``event`` with ``fields`` as data; the message is their ``event=… key=…`` text
    (:func:`kv_text`). ``exc_info`` adds the exception being handled (True) or the one given."""
    if not logger.isEnabledFor(level):
        return
    data = {"event": event, **fields}
    logger.log(level, "%s", kv_text(data), exc_info=exc_info, extra={_FIELDS: data}, stacklevel=2)


def kv_text(fields: Mapping[str, Any]) -> str:
    """``key=value …``; a text value that is empty or holds a space, ``=`` or a quote is
    written quoted (``repr``) so the line splits back into the same pairs."""
    return " ".join(f"{key}={_value_text(value)}" for key, value in fields.items())


def _value_text(value: Any) -> str:
    if isinstance(value, BaseException):
        value = f"{type(value).__name__}: {value}"
    text = str(value)
    if isinstance(value, str) and (not text or any(c in text for c in " \t=\"'")):
        return repr(text)
    return text


def _from_record(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """The record's fields (:func:`log_event`) in place of its message, when it has them."""
    record = event_dict.get("_record")
    fields = getattr(record, _FIELDS, None)
    message = event_dict.pop("event")
    if isinstance(fields, Mapping):
        event_dict.update(fields)
    else:
        event_dict["msg"] = message
    return event_dict


def _render_kv(logger: WrappedLogger, name: str, event_dict: EventDict) -> str:
    head = " ".join(f"{key}={event_dict.pop(key)}" for key in _HEAD)
    exc = event_dict.pop("exception", None)
    body = event_dict.pop("msg") if "msg" in event_dict else kv_text(event_dict)
    line = f"{head} {body}"
    return line + " exc=" + json.dumps(exc) if exc else line


def formatter(fmt: LogFormat) -> logging.Formatter:
    """The formatter of ``--log-format kv|json``."""
    renderer = _render_kv if fmt == "kv" else structlog.processors.JSONRenderer()
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            _from_record,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )


def configure_logging(level: str, fmt: LogFormat = "kv") -> None:
    """Every log record to stderr, at ``level`` and above, in ``fmt``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
