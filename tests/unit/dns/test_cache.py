"""The bounded DNS answer cache (tas.dns.cache) on a virtual clock: TTLs, negative entries,
LRU bound."""

from __future__ import annotations

import pytest

from tas.dns.cache import AnswerCache
from tas.dns.select import Query

A = Query("server1.example.com", "A")
B = Query("server2.example.com", "A")


def test_an_answer_lives_for_its_ttl() -> None:
    cache = AnswerCache(8)
    cache.put(A, ("192.0.2.1",), 60, now=100.0)
    assert cache.get(A, 159.9) == ("192.0.2.1",)
    assert cache.get(A, 160.0) is None  # expired: asked again
    assert (cache.hits, cache.misses, len(cache)) == (1, 1, 0)


def test_a_negative_answer_is_cached_as_empty() -> None:
    cache = AnswerCache(8)
    cache.put(A, (), 30, now=0.0)
    assert cache.get(A, 29.0) == ()
    assert cache.get(A, 30.0) is None


def test_ttl_zero_and_size_zero_cache_nothing() -> None:
    cache = AnswerCache(8)
    cache.put(A, ("192.0.2.1",), 0, now=0.0)
    assert cache.get(A, 0.0) is None
    off = AnswerCache(0)
    off.put(A, ("192.0.2.1",), 60, now=0.0)
    assert len(off) == 0


def test_the_least_recently_used_entry_goes_first() -> None:
    cache = AnswerCache(2)
    cache.put(A, ("192.0.2.1",), 60, now=0.0)
    cache.put(B, ("192.0.2.2",), 60, now=0.0)
    assert cache.get(A, 1.0) is not None  # A is now the most recent
    for n in range(100):
        cache.put(Query(f"h{n}.example.com", "A"), ("192.0.2.3",), 60, now=1.0)
        assert len(cache) <= 2
    assert cache.get(B, 1.0) is None and len(cache) == 2


def test_a_negative_size_is_refused() -> None:
    with pytest.raises(ValueError):
        AnswerCache(-1)
