"""Replay the atheris seeds and every kept crash input through the same fuzz invariants.

Runs in ``make test`` without atheris: each file in ``tests/vectors/fuzz/<target>/`` once
crashed a parser (see that folder's README); the seeds check the targets themselves.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.invariants import TARGETS
from tests.fuzz.seeds import REGRESSIONS, regression_vectors, seeds

CASES = [(target, path) for target in TARGETS for path in regression_vectors(target)]


@pytest.mark.parametrize(("target", "path"), CASES, ids=[f"{t}/{p.name}" for t, p in CASES] or None)
def test_regression_vector(target: str, path: Path) -> None:
    TARGETS[target](path.read_bytes())


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_seeds_satisfy_invariant(target: str) -> None:
    corpus = seeds(target)
    assert corpus, f"no seeds for {target}"
    for data in corpus:
        TARGETS[target](data)


def test_regression_folders_are_targets() -> None:
    if REGRESSIONS.is_dir():
        folders = {p.name for p in REGRESSIONS.iterdir() if p.is_dir()}
        assert folders <= set(TARGETS), folders - set(TARGETS)
