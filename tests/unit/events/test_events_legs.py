"""The operator's leg numbers of the TAS's legs (tas.events.legs), per the proto's diagrams."""

from __future__ import annotations

import pytest

from tas.events.legs import operator_leg


@pytest.mark.parametrize(
    ("route", "direction", "label"),
    [
        ("loop", "in", "operator leg 2: core → TAS"),
        ("loop-mo", "out", "operator leg 3: TAS → core"),
        ("loop-mt", "in", "operator leg 2: core → TAS"),
        ("fork", "in", "operator leg 3: core → TAS"),
        ("fallback", "in", "operator leg 3: core → TAS"),
    ],
)
def test_numbered_legs(route: str, direction: str, label: str) -> None:
    assert str(operator_leg(route, direction)) == label


@pytest.mark.parametrize(
    ("route", "direction"), [("fork", "out"), ("ingress", "in"), (None, "in"), ("x", "out")]
)
def test_legs_the_diagrams_do_not_number(route: str | None, direction: str) -> None:
    assert operator_leg(route, direction) is None
