"""Failed-authentication limits per peer and a rate-limited log of them (pure: every call takes
``now``, in seconds of any monotonic clock).

:class:`FailureLimiter` keeps one token bucket per peer (``burst`` tokens, refilled at ``rate``
per second). Each failed authentication takes a token; a peer whose bucket is empty is
*blocked*: its requests are refused (RESOURCE_EXHAUSTED) without looking at the token, so a
guesser gets at most ``burst + rate * t`` checked attempts in ``t`` seconds. Successful calls
cost nothing. Memory is bounded: at most ``max_peers`` buckets, the least recently used (and
full ones first) dropped beyond that.

:class:`FailureLog` turns a flood of failures into one line per ``interval`` with counts (the
first failure after a quiet interval is logged at once).

Peers are keyed by address without the port (``ipv4:203.0.113.7``); IPv6 by its /64, since one
host usually owns a whole /64 (RFC 6177 §2).
"""

from __future__ import annotations

import ipaddress
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

__all__ = ["FailureLimiter", "FailureLog", "peer_key"]


def peer_key(peer: str) -> str:
    """``ipv4:1.2.3.4:5678`` → ``ipv4:1.2.3.4``; ``ipv6:[2001:db8::1]:5678`` → its /64;
    anything else (``unix:…``) unchanged."""
    kind, _, rest = peer.partition(":")
    if kind == "ipv4":
        return f"ipv4:{rest.rpartition(':')[0] or rest}"
    if kind == "ipv6":
        host = rest.rpartition("]")[0].lstrip("[") if "]" in rest else rest
        host = host.split("%", 1)[0]
        try:
            network = ipaddress.IPv6Network(f"{host}/64", strict=False)
        except ValueError:
            return peer
        return f"ipv6:{network}"
    return peer


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float


class FailureLimiter:
    """Token bucket per peer over failed authentications (see the module docstring)."""

    def __init__(self, burst: int = 10, rate: float = 0.2, *, max_peers: int = 10_000) -> None:
        if burst < 1 or rate < 0 or max_peers < 1:
            raise ValueError("burst >= 1, rate >= 0 and max_peers >= 1 are required")
        self.burst = float(burst)
        self.rate = rate
        self.max_peers = max_peers
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def blocked(self, peer: str, now: float) -> bool:
        """True when ``peer`` has no failure left to spend: refuse without checking."""
        bucket = self._buckets.get(peer)
        return bucket is not None and self._refill(bucket, now) < 1.0

    def failed(self, peer: str, now: float) -> None:
        """Charge one failed authentication to ``peer``."""
        bucket = self._buckets.get(peer)
        if bucket is None:
            self._make_room()
            bucket = self._buckets[peer] = _Bucket(self.burst, now)
        else:
            self._buckets.move_to_end(peer)
        bucket.tokens = max(0.0, self._refill(bucket, now) - 1.0)

    def _refill(self, bucket: _Bucket, now: float) -> float:
        elapsed = max(0.0, now - bucket.stamp)
        bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
        bucket.stamp = max(bucket.stamp, now)
        return bucket.tokens

    def _make_room(self) -> None:
        while len(self._buckets) >= self.max_peers:
            self._buckets.popitem(last=False)  # least recently failed first


@dataclass(slots=True)
class FailureLog:
    """Counts of failures per interval; :meth:`note` / :meth:`flush` return the line to log."""

    interval: float = 60.0
    top: int = 3  # peers named in a line, by count
    max_peers: int = 1000  # distinct peers counted per interval; the rest as "other"
    failed: int = 0  # tokens checked and refused in the current interval
    refused: int = 0  # requests refused unchecked (peer blocked)
    peers: Counter[str] = field(default_factory=Counter)
    _since: float | None = None  # start of the current interval; None: quiet
    _last_line: float | None = None

    def note(self, peer: str, now: float, *, blocked: bool) -> str | None:
        """Count one failure; the line to log now, if one is due."""
        if blocked:
            self.refused += 1
        else:
            self.failed += 1
        if peer not in self.peers and len(self.peers) >= self.max_peers:
            peer = "other"
        self.peers[peer] += 1
        if self._since is None:
            self._since = now
        if self._last_line is None or now - self._last_line >= self.interval:
            return self.flush(now)
        return None

    @property
    def pending(self) -> bool:
        return self.failed + self.refused > 0

    def wait(self, now: float) -> float:
        """Seconds until the next line may be written (0: now)."""
        if self._last_line is None:
            return 0.0
        return max(0.0, self._last_line + self.interval - now)

    def flush(self, now: float) -> str | None:
        """The summary of what was counted since the last line (None when nothing was)."""
        if not self.pending:
            return None
        since = self._since if self._since is not None else now
        top = " ".join(f"{peer}={count}" for peer, count in self.peers.most_common(self.top))
        line = (
            f"event=voicemail_api_auth_failures seconds={now - since:.1f} failed={self.failed} "
            f"refused_unchecked={self.refused} peers={len(self.peers)} top={top}"
        )
        self.failed = self.refused = 0
        self.peers.clear()
        self._since = None
        self._last_line = now
        return line
