"""Reconnect back-off: equal jitter up to a cap, reset on success."""

from __future__ import annotations

import pytest

from tas.events import Backoff

# wgtwo-api.md §4.1 wire test vector for a SubscribeEventsResponse.


def test_backoff_grows_to_the_cap_with_equal_jitter_and_resets() -> None:
    backoff = Backoff(initial=0.5, cap=4.0)
    assert [backoff.next_delay(0.0) for _ in range(6)] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    assert backoff.next_delay(0.999) == pytest.approx(3.998)
    backoff.reset()
    assert backoff.next_delay(1.0) == 0.5


@pytest.mark.parametrize(("initial", "cap", "multiplier"), [(0, 1, 2), (2, 1, 2), (1, 2, 0.5)])
def test_backoff_refuses_nonsense(initial: float, cap: float, multiplier: float) -> None:
    with pytest.raises(ValueError, match="backoff"):
        Backoff(initial, cap, multiplier)
