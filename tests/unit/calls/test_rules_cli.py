"""`tas rules set --ring` specs: targets, an optional ``=SECONDS``, URIs that contain ``=``."""

from __future__ import annotations

import pytest

from tas.calls.rules_cli import _ring


@pytest.mark.parametrize(
    ("spec", "targets", "timeout"),
    [
        ("handset", ["handset"], 20.0),
        ("handset=15", ["handset"], 15.0),
        ("+4799990003,+4799990004=7.5", ["+4799990003", "+4799990004"], 7.5),
        ("sip:desk@192.0.2.1;transport=tcp", ["sip:desk@192.0.2.1;transport=tcp"], 20.0),
        ("sip:desk@192.0.2.1;transport=tcp=9", ["sip:desk@192.0.2.1;transport=tcp"], 9.0),
    ],
)
def test_ring_specs(spec: str, targets: list[str], timeout: float) -> None:
    assert _ring(spec) == {"targets": targets, "timeout": timeout}
