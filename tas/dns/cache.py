"""A bounded DNS answer cache (pure; the clock is passed in).

Positive answers live for their record TTL (RFC 1035 §3.2.1, RFC 2181 §8); "no such name" and
"no data" answers are cached too (RFC 2308 §5), for the SOA-derived negative TTL the adapter
passes (at most ``[dns] negative_ttl``). Least recently used entries go first once ``size``
entries are held, so no amount of distinct names grows it past that.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from tas.dns.select import Answer, Query

__all__ = ["AnswerCache"]


@dataclass(frozen=True, slots=True)
class _Entry:
    answer: Answer
    expires: float


class AnswerCache:
    """``get``/``put`` answers per :class:`Query` at clock time ``now`` (seconds)."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError("cache size must be >= 0")
        self.size = size
        self._entries: OrderedDict[Query, _Entry] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, query: Query, now: float) -> Answer | None:
        """The cached answer (possibly empty: a negative entry), or None when not cached."""
        entry = self._entries.get(query)
        if entry is None or entry.expires <= now:
            if entry is not None:
                del self._entries[query]
            self.misses += 1
            return None
        self._entries.move_to_end(query)
        self.hits += 1
        return entry.answer

    def put(self, query: Query, answer: Answer, ttl: float, now: float) -> None:
        """Hold ``answer`` for ``ttl`` seconds (a TTL of 0 is not cached, RFC 1035 §3.2.1)."""
        if ttl <= 0 or self.size == 0:
            return
        self._entries[query] = _Entry(answer, now + ttl)
        self._entries.move_to_end(query)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
