"""Parsing of the harness's option values (pure): durations, DTMF schedules, headers, ranges.

Every parser raises ``ValueError`` with a message meant for the command line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from media.dtmf import DTMF_EVENTS

__all__ = [
    "DtmfAt",
    "parse_duration",
    "parse_dtmf_schedule",
    "parse_header",
    "parse_port_range",
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m)?\s*$", re.I)
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!%*_+`'~.-]+$")  # RFC 3261 §25.1 token
_FORBIDDEN_HEADERS = {
    "via",
    "v",
    "call-id",
    "i",
    "cseq",
    "from",
    "f",
    "to",
    "t",
    "content-length",
    "l",
    "content-type",
    "c",
    "max-forwards",
    "contact",
    "m",
}


def parse_duration(text: str) -> float:
    """``2``, ``2s``, ``1.5s``, ``500ms``, ``1m`` -> seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} (e.g. 2s, 500ms, 1.5)")
    value = float(match.group(1))
    unit = (match.group(2) or "s").lower()
    return value / 1000 if unit == "ms" else value * 60 if unit == "m" else value


@dataclass(frozen=True, slots=True)
class DtmfAt:
    """Send ``digits`` (RFC 4733) ``at`` seconds after the answer."""

    digits: str
    at: float


def parse_dtmf_schedule(text: str) -> list[DtmfAt]:
    """``'1@2s,#@5s'`` or ``'123@1s'`` -> digits with send times, in time order."""
    schedule = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        digits, at, when = item.partition("@")
        digits = digits.strip().upper()
        if not at:
            raise ValueError(f"DTMF item {item!r} needs a time: DIGITS@TIME, e.g. 1@2s")
        if not digits or any(d not in DTMF_EVENTS for d in digits):
            raise ValueError(f"DTMF item {item!r}: digits must be from {DTMF_EVENTS}")
        schedule.append(DtmfAt(digits, parse_duration(when)))
    if not schedule:
        raise ValueError("empty DTMF schedule")
    return sorted(schedule, key=lambda d: d.at)


def parse_header(text: str) -> tuple[str, str]:
    """``'Name: value'`` -> (name, value); headers the stack owns are refused."""
    name, colon, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not colon or not _HEADER_NAME.match(name):
        raise ValueError(f"not a header: {text!r} (expected 'Name: value')")
    if name.lower() in _FORBIDDEN_HEADERS:
        raise ValueError(f"header {name} is set by the SIP stack and cannot be given")
    if "\r" in value or "\n" in value:
        raise ValueError(f"header {name}: line breaks are not allowed")
    return name, value


def parse_port_range(text: str) -> tuple[int, int]:
    """``'40000-49999'`` -> (40000, 49999): at least one even/odd pair inside 1024..65535."""
    low, dash, high = text.partition("-")
    try:
        lo, hi = int(low), int(high)
    except ValueError:
        raise ValueError(f"not a port range: {text!r} (e.g. 40000-49999)") from None
    if not dash or not 1024 <= lo < hi <= 65535:
        raise ValueError(f"port range {text!r} must be LOW-HIGH within 1024-65535")
    return lo, hi
