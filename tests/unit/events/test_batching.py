"""Group commit bounds of the event consumer (tas.events.batching) on a virtual clock."""

from __future__ import annotations

import pytest

from tas.events.batching import Batcher


def test_a_batch_is_due_when_full() -> None:
    batcher: Batcher[int] = Batcher(max_size=3, max_wait=0.005)
    for n in range(2):
        batcher.add(n, 10.0)
    assert not batcher.due(10.0) and not batcher.full
    batcher.add(2, 10.001)
    assert batcher.full and batcher.due(10.001)
    assert batcher.take() == [0, 1, 2]
    assert len(batcher) == 0 and batcher.deadline() is None and not batcher.due(99.0)


def test_a_batch_is_due_when_its_oldest_event_has_waited_max_wait() -> None:
    batcher: Batcher[str] = Batcher(max_size=100, max_wait=0.005)
    batcher.add("a", 10.0)
    batcher.add("b", 10.004)
    assert batcher.deadline() == pytest.approx(10.005)  # set by the oldest, not the newest
    assert not batcher.due(10.0049)
    assert batcher.due(10.005)
    assert batcher.take() == ["a", "b"]


def test_the_next_batch_opens_with_its_own_first_event() -> None:
    batcher: Batcher[int] = Batcher(max_size=10, max_wait=0.005)
    batcher.add(1, 10.0)
    assert batcher.take() == [1]
    batcher.add(2, 20.0)
    assert batcher.deadline() == pytest.approx(20.005)
    assert not batcher.due(20.004)


def test_leftovers_beyond_max_size_stay_due_and_come_out_in_order() -> None:
    batcher: Batcher[int] = Batcher(max_size=2, max_wait=0.005)
    for n in range(5):  # a backlog that arrived while a commit ran
        batcher.add(n, 10.0)
    assert batcher.take() == [0, 1]
    assert batcher.due(10.0)  # still full
    assert batcher.take() == [2, 3]
    assert not batcher.due(10.004) and batcher.due(10.005)  # no younger than the first
    assert batcher.take() == [4]


def test_zero_wait_commits_every_event_at_once() -> None:
    batcher: Batcher[int] = Batcher(max_size=50, max_wait=0.0)
    batcher.add(7, 3.0)
    assert batcher.due(3.0) and batcher.take() == [7]


@pytest.mark.parametrize(("size", "wait"), [(0, 0.005), (1, -0.001)])
def test_refuses_impossible_bounds(size: int, wait: float) -> None:
    with pytest.raises(ValueError):
        Batcher(max_size=size, max_wait=wait)
