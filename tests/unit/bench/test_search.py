"""The rate search of the benchmarks (tests/bench/search.py)."""

from __future__ import annotations

from tests.bench.search import highest_clean


def _edge(limit: int) -> tuple[list[int], object]:
    probed: list[int] = []

    def probe(rate: int) -> tuple[bool, int]:
        probed.append(rate)
        return rate <= limit, rate

    return probed, probe


def test_doubles_then_bisects_to_the_resolution() -> None:
    probed, probe = _edge(730)
    best, result, bad, _ = highest_clean(probe, 100, 3200, 50)  # type: ignore[arg-type]
    assert (best, result) == (700, 700)
    assert bad - best <= 50 and bad > 730
    assert probed[:5] == [100, 200, 400, 800, 600]
    assert len(probed) <= 8


def test_nothing_clean() -> None:
    probed, probe = _edge(50)
    assert highest_clean(probe, 100, 3200, 50) == (0, None, 100, 100)  # type: ignore[arg-type]
    assert probed == [100]


def test_ceiling_clean_stops_there() -> None:
    probed, probe = _edge(10_000)
    assert highest_clean(probe, 100, 1000, 50) == (1000, 1000, 0, None)  # type: ignore[arg-type]
    assert probed == [100, 200, 400, 800, 1000]


def test_relative_resolution_stops_sooner() -> None:
    probed, probe = _edge(1100)
    best, _, bad, _ = highest_clean(probe, 100, 3200, 50, relative=0.25)  # type: ignore[arg-type]
    assert probed == [100, 200, 400, 800, 1600, 1200, 1000]
    assert (best, bad) == (1000, 1200)
