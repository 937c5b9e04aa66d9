"""The registration model: route names and the one E.164 rule (wgtwo-api.md §6)."""

from __future__ import annotations

import pytest

from registrations.model import E164_MAX_DIGITS, ROUTE_NAMES, Route, is_e164


@pytest.mark.parametrize("number", ["+4799990000", "+12025550123", "+6831234", "+" + "1" * 15])
def test_e164_numbers(number: str) -> None:
    assert is_e164(number)


@pytest.mark.parametrize(
    "number",
    ["4799990000", "+0799990000", "+47 9999 0000", "+47", "+123456", "+" + "1" * 16, "", None, 47],
)
def test_not_e164(number: object) -> None:
    assert not is_e164(number)


def test_the_rule_caps_numbers_at_fifteen_digits() -> None:
    assert E164_MAX_DIGITS == 15 and not is_e164("+" + "9" * (E164_MAX_DIGITS + 1))


def test_route_cli_names_round_trip() -> None:
    assert ROUTE_NAMES[3] == "loop-mo"
    assert all(Route.from_cli_name(name).cli_name == name for name in ROUTE_NAMES)
    assert Route.from_cli_name(" LOOP_MT ") is Route.LOOP_MT
