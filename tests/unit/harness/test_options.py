"""The harness options: durations, DTMF schedules, headers, port ranges."""

from __future__ import annotations

import pytest

from tas.harness.options import (
    DtmfAt,
    parse_dtmf_schedule,
    parse_duration,
    parse_header,
    parse_port_range,
)


@pytest.mark.parametrize(
    ("text", "seconds"), [("2", 2.0), ("2s", 2.0), ("1.5s", 1.5), ("500ms", 0.5), ("1m", 60.0)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "two", "-1s", "5h", "1.2.3"])
def test_bad_durations_say_so(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_dtmf_schedule_is_sorted_by_time() -> None:
    assert parse_dtmf_schedule("#@5s, 1@2s,12a@500ms") == [
        DtmfAt("12A", 0.5),
        DtmfAt("1", 2.0),
        DtmfAt("#", 5.0),
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1", "needs a time"),
        ("x@1s", "digits must be"),
        ("1@soon", "not a duration"),
        (",", "empty"),
    ],
)
def test_bad_dtmf_schedules(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_dtmf_schedule(text)


def test_headers() -> None:
    assert parse_header("X-Test:  a b ") == ("X-Test", "a b")
    with pytest.raises(ValueError, match="set by the SIP stack"):
        parse_header("Call-ID: 1")
    with pytest.raises(ValueError, match="not a header"):
        parse_header("no colon")


def test_port_ranges() -> None:
    assert parse_port_range("40000-40100") == (40000, 40100)
    for bad in ("40000", "100-200", "5-a", "50000-40000"):
        with pytest.raises(ValueError):
            parse_port_range(bad)
