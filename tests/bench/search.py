"""The highest clean rate by doubling then bisecting, instead of a linear ramp of rate steps:
``log2(ceiling / start) + log2(range / resolution)`` probes rather than one per step, which is
most of what kept ``make bench`` over its 8 minutes (issue 17).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def highest_clean(
    probe: Callable[[int], tuple[bool, T]],
    start: int,
    ceiling: int,
    resolution: int,
    relative: float = 0.0,
) -> tuple[int, T | None, int, T | None]:
    """Probe ``start``, doubling while clean (up to ``ceiling``), then bisect between the last
    clean rate and the first unclean one until they are ``resolution`` apart, or
    ``relative`` times the clean rate when that is wider.

    Returns ``(best rate, its result, first unclean rate, its result)``; best is 0 (result
    None) when even ``start`` is not clean, the unclean rate 0 when ``ceiling`` was clean.
    """
    good, good_result, bad, bad_result = 0, None, 0, None
    rate = start
    while True:
        clean, result = probe(rate)
        if not clean:
            bad, bad_result = rate, result
            break
        good, good_result = rate, result
        if rate >= ceiling:
            return good, good_result, 0, None
        rate = min(rate * 2, ceiling)
    if good == 0:
        return 0, None, bad, bad_result
    while bad - good > max(resolution, relative * good):
        rate = (good + bad) // 2 // resolution * resolution or good + resolution
        if rate <= good or rate >= bad:
            break
        clean, result = probe(rate)
        if clean:
            good, good_result = rate, result
        else:
            bad, bad_result = rate, result
    return good, good_result, bad, bad_result
