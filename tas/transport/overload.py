"""Overload control before the parser: per-source token buckets and a cheap prefilter (sans-IO).

DESIGN ("Everything is bounded"; issue 10, Build 2). Every datagram first pays one token from
its source's bucket (Kamailio ``pike``-like), then passes :func:`prefilter`, which refuses what
no sane peer sends without parsing it: oversize messages (RFC 3261 §18.1.1 keeps UDP below the
path MTU; §21.5.14 names 513 for too large), absurd header and Via counts (a 1,000-Via INVITE
costs ~8 ms to parse and would be echoed back in every response, §8.2.6.2). Only then does
:func:`tas.sip.parser.parse_message` run.

Everything here is pure: ``now`` is passed in, memory is bounded (:class:`SourceBuckets`
keeps at most ``max_sources`` buckets; beyond that new sources share one overflow bucket).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

__all__ = [
    "OverloadLimits",
    "SourceBuckets",
    "TokenBucket",
    "minimal_response",
    "prefilter",
    "too_many_vias",
]


@dataclass(frozen=True, slots=True)
class OverloadLimits:
    """The bounds of one stack (``[limits]`` of the config, :class:`tas.config.LimitsSettings`).

    Rates are messages per second per source host (UDP) or per connection (TCP/TLS); a burst
    is the bucket size. 0 for a ``max_*`` count switches that bound off.
    """

    rate: float = 20.0  # untrusted source: sustained messages/s
    burst: float = 60.0
    trusted_rate: float = 20000.0  # the operator core / sandbox: a far larger allowance
    trusted_burst: float = 40000.0
    max_sources: int = 16384  # buckets kept; the rest share one overflow bucket
    max_message: int = 16384  # bytes of one datagram or frame
    max_headers: int = 128  # header lines
    max_vias: int = 32  # Via entries (a request crosses few proxies: Max-Forwards is 70)
    max_calls: int = 5000  # live incoming calls, all sources
    max_calls_per_source: int = 10  # live incoming calls of one untrusted source
    max_calls_per_subscriber: int = 1000  # live incoming calls to one Request-URI user
    # live server transactions; an answered INVITE's lives 64*T1 = 32 s (RFC 6026 Timer L)
    # and a BYE's as long (Timer J), so 100,000 carries ~1,500 calls/s
    max_transactions: int = 100000
    lag_threshold: float = 0.25  # event-loop lag (s) that signals overload
    lag_interval: float = 0.05  # how often the lag is sampled (s)
    lag_hold: float = 2.0  # overload lasts this long after lag falls below threshold/2
    retry_after: int = 5  # seconds in Retry-After of our 503s (RFC 3261 §20.33)
    log_interval: float = 10.0  # one log line per drop reason per interval

    @classmethod
    def relaxed(cls) -> OverloadLimits:
        """The default of a stack built in code (tests, the sandbox core): the byte
        prefilter and the global bounds, every source at the trusted rate, no lag signal.
        ``tas serve`` uses ``[limits]``, whose defaults are the safe ones above."""
        safe = cls()
        return cls(
            rate=safe.trusted_rate,
            burst=safe.trusted_burst,
            max_message=65535,  # the parser's own limits (tas.sip.parser.Limits)
            max_headers=256,
            max_calls_per_source=0,
            lag_threshold=0.0,
        )


class TokenBucket:
    """``rate`` tokens a second up to ``burst``; :meth:`take` pays one if there is one."""

    __slots__ = ("rate", "burst", "tokens", "stamp")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = now

    def take(self, now: float) -> bool:
        tokens = self.tokens + (now - self.stamp) * self.rate
        if tokens > self.burst:
            tokens = self.burst
        self.stamp = now
        if tokens < 1.0:
            self.tokens = tokens
            return False
        self.tokens = tokens - 1.0
        return True

    def full_at(self) -> float:
        """When the bucket is full again (from then on it is as good as a new one)."""
        return self.stamp + (self.burst - self.tokens) / self.rate if self.rate > 0 else 1e18


class SourceBuckets:
    """One :class:`TokenBucket` per key (source host, or connection), bounded in number.

    When the table is full, buckets that have refilled completely are swept (forgetting them
    changes nothing); if none has, a new source pays from a shared overflow bucket with the
    untrusted allowance, so spoofing many addresses buys no more than one source gets.
    """

    __slots__ = ("limits", "_table", "_overflow", "_sweep_at")

    def __init__(self, limits: OverloadLimits) -> None:
        self.limits = limits
        self._table: dict[object, TokenBucket] = {}
        self._overflow: TokenBucket | None = None
        self._sweep_at = 0.0

    def __len__(self) -> int:
        return len(self._table)

    def allow(self, key: object, trusted: bool, now: float) -> bool:
        """Pay one token for a message from ``key``; False: drop it."""
        bucket = self._table.get(key)
        if bucket is None:
            bucket = self._new(key, trusted, now)
        return bucket.take(now)

    def forget(self, key: object) -> None:
        self._table.pop(key, None)

    def _new(self, key: object, trusted: bool, now: float) -> TokenBucket:
        limits = self.limits
        table = self._table
        if len(table) >= limits.max_sources and not trusted:
            if now >= self._sweep_at:
                self._sweep(now)
            if len(table) >= limits.max_sources:
                if self._overflow is None:
                    self._overflow = TokenBucket(limits.rate, limits.burst, now)
                return self._overflow
        if trusted:
            bucket = TokenBucket(limits.trusted_rate, limits.trusted_burst, now)
        else:
            bucket = TokenBucket(limits.rate, limits.burst, now)
        table[key] = bucket
        return bucket

    def _sweep(self, now: float) -> None:
        full = [key for key, bucket in self._table.items() if bucket.full_at() <= now]
        for key in full:
            del self._table[key]
        # a sweep that freed little is not repeated at once: at most once per second
        self._sweep_at = now + (0.0 if len(full) > len(self._table) // 4 else 1.0)


def prefilter(data: bytes, limits: OverloadLimits) -> str | None:
    """Why ``data`` (one datagram) is refused before parsing, or None to parse it.

    Counts bytes only: the first line must name a SIP version (``SIP/``, §7.1, case-insensitive;
    a version other than 2.0 is the parser's to answer with 505), the header section at most ``max_headers`` lines and ``max_vias``
    sent-protocols (each Via entry starts with ``SIP/2.0/<transport>``, §20.42, whether the
    entries share a line or not).
    """
    if len(data) > limits.max_message:
        return "oversize"
    eol = data.find(b"\n", 0, 1024)
    if eol < 0 or b"SIP/" not in data[:eol].upper():
        return "not_sip"
    end = data.find(b"\r\n\r\n")
    head = data if end < 0 else data[:end]
    if head.count(b"/2.0/") > limits.max_vias:
        return "vias"
    if head.count(b"\n") > limits.max_headers:
        return "headers"
    return None


def too_many_vias(count: int, limits: OverloadLimits) -> bool:
    """The post-parse check for streams and for Vias the byte count missed (LWS around ``/``)."""
    return limits.max_vias > 0 and count > limits.max_vias


#: header names (full and compact, §7.3.3) a minimal response copies -> canonical spelling
_COPY = {
    b"via": b"Via", b"v": b"Via", b"from": b"From", b"f": b"From", b"to": b"To", b"t": b"To",
    b"call-id": b"Call-ID", b"i": b"Call-ID", b"cseq": b"CSeq",
}  # fmt: skip
#: what :func:`prefilter` reasons are answered with when the source is trusted
MINIMAL_STATUS = {
    "oversize": (513, b"Message Too Large"),
    "headers": (400, b"Too Many Header Fields"),
    "vias": (400, b"Too Many Via Entries"),
}


def minimal_response(data: bytes, status: int, reason: bytes, scan: int = 4096) -> bytes | None:
    """The answer to a request refused unparsed (for trusted sources): the status line and
    only the first Via entry, From, To (with a tag, §8.2.6.2), Call-ID and CSeq, found in the
    first ``scan`` lines; None for a response, an ACK, or when one of those is missing. Never
    echoes more than one Via, so a 1,000-Via request gets a few hundred bytes back. Costs
    ~0.1 ms for 1,000 lines: the stack calls it for trusted sources only."""
    first, _, rest = data.partition(b"\r\n")
    upper = first.upper()
    if upper.startswith(b"SIP/") or not upper.endswith(b" SIP/2.0") or first.startswith(b"ACK "):
        return None
    out = [b"SIP/2.0 %d %s" % (status, reason)]
    seen: set[bytes] = set()
    for line in rest.split(b"\r\n", scan)[:scan]:
        if not line:
            break
        name, colon, value = line.partition(b":")
        canon = _COPY.get(name.strip().lower()) if colon else None
        if canon is None or canon in seen:
            continue
        seen.add(canon)
        value = value.strip()
        if canon == b"Via":
            value = value.split(b",", 1)[0].strip()
        elif canon == b"To" and b";tag=" not in value.lower():
            value += b";tag=" + secrets.token_hex(4).encode()
        out.append(canon + b": " + value)
    if len(seen) < 5:  # Via, From, To, Call-ID, CSeq
        return None
    out.append(b"Content-Length: 0")
    return b"\r\n".join(out) + b"\r\n\r\n"
