"""SIP message model (RFC 3261 §7): requests, responses and their ordered header list.

Header values are kept as text exactly as received (after unfolding); typed views (``via``,
``cseq``, ``from_`` …) are cached until the headers change (the parser fills the ones it must
validate anyway; the rest are parsed on first use). Typed values are frozen dataclasses: derive
new ones with ``with_params``/``with_tag`` and write them back as text, never mutate their
dicts. ``bytes(message)`` serialises with a correct Content-Length.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from tas.sip.errors import ParseError
from tas.sip.grammar import split_list
from tas.sip.headers import (
    MAGIC_COOKIE,
    Address,
    CSeq,
    Via,
    parse_address,
    parse_address_list,
    parse_cseq,
    parse_uint,
    parse_via,
)
from tas.sip.uri import URI

__all__ = [
    "Headers",
    "Message",
    "Request",
    "Response",
    "REASONS",
    "KNOWN_METHODS",
    "canonical_name",
]

SIP_VERSION = "SIP/2.0"

#: Methods of RFC 3261 and its registered extensions (RFC 3262, 3265, 3311, 3428, 3515, 3903,
#: 6086); anything else is an extension method we do not know (501, §8.2.1).
KNOWN_METHODS = frozenset(
    {
        "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE",
        "NOTIFY", "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE",
    }
)  # fmt: skip

#: Compact forms (§7.3.3, plus registered ones from later RFCs).
COMPACT = {
    "i": "Call-ID", "m": "Contact", "e": "Content-Encoding", "l": "Content-Length",
    "c": "Content-Type", "f": "From", "s": "Subject", "k": "Supported", "t": "To", "v": "Via",
    "o": "Event", "r": "Refer-To", "b": "Referred-By", "u": "Allow-Events",
    "x": "Session-Expires", "y": "Identity", "a": "Accept-Contact", "j": "Reject-Contact",
    "d": "Request-Disposition", "n": "Identity-Info",
}  # fmt: skip

_KNOWN = [
    "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Allow-Events",
    "Authentication-Info", "Authorization", "Call-ID", "Call-Info", "Contact",
    "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length",
    "Content-Type", "CSeq", "Date", "Error-Info", "Event", "Expires", "From", "History-Info",
    "In-Reply-To", "Max-Forwards", "Min-Expires", "MIME-Version", "Organization",
    "P-Asserted-Identity", "P-Called-Party-ID", "Priority", "Proxy-Authenticate",
    "Proxy-Authorization", "Proxy-Require", "Reason", "Record-Route", "Refer-To", "Referred-By",
    "Reply-To", "Require", "Retry-After", "Route", "RSeq", "RAck", "Server", "Session-Expires",
    "Session-ID", "Subject", "Subscription-State", "Supported", "Timestamp", "To",
    "Unsupported", "User-Agent", "Via", "Warning", "WWW-Authenticate",
]  # fmt: skip
_CANONICAL = {name.lower(): name for name in _KNOWN}
_CANONICAL.update({short: long for short, long in COMPACT.items()})

#: Headers whose value is a comma-separated list that may be split across lines (§7.3.1).
LIST_HEADERS = frozenset(
    name.lower()
    for name in (
        "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Allow-Events",
        "Call-Info", "Contact", "Content-Encoding", "Content-Language", "Error-Info",
        "History-Info", "In-Reply-To", "P-Asserted-Identity", "Proxy-Require", "Reason",
        "Record-Route", "Require", "Route", "Supported", "Unsupported", "Via", "Warning",
        "Path", "Service-Route",
    )
)  # fmt: skip

REASONS = {
    100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued",
    183: "Session Progress", 199: "Early Dialog Terminated", 200: "OK", 202: "Accepted",
    204: "No Notification", 300: "Multiple Choices", 301: "Moved Permanently",
    302: "Moved Temporarily", 305: "Use Proxy", 380: "Alternative Service", 400: "Bad Request",
    401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 406: "Not Acceptable", 407: "Proxy Authentication Required",
    408: "Request Timeout", 410: "Gone", 413: "Request Entity Too Large",
    414: "Request-URI Too Long", 415: "Unsupported Media Type", 416: "Unsupported URI Scheme",
    420: "Bad Extension", 421: "Extension Required", 423: "Interval Too Brief",
    480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist",
    482: "Loop Detected", 483: "Too Many Hops", 484: "Address Incomplete", 485: "Ambiguous",
    486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here",
    491: "Request Pending", 493: "Undecipherable", 500: "Server Internal Error",
    501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Server Time-out", 505: "Version Not Supported", 513: "Message Too Large",
    600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
}  # fmt: skip


#: Versions are unique across all Headers, so a cache keyed on one never matches another.
_VERSIONS = itertools.count()
#: raw name -> (lower-case key, canonical spelling); filled as names are seen, bounded.
_NAME_CACHE: dict[str, tuple[str, str]] = {}
_NAME_CACHE_MAX = 2048


def canonical_name(name: str) -> str:
    """Canonical spelling of a header name; compact forms expand (§7.3.3)."""
    return _CANONICAL.get(name.lower(), name)


def name_key(name: str) -> tuple[str, str]:
    """``(key, canonical)`` for a header name: the case-folded lookup key and its spelling."""
    hit = _NAME_CACHE.get(name)
    if hit is not None:
        return hit
    canonical = _CANONICAL.get(name.lower(), name)
    hit = (canonical.lower(), canonical)
    if len(_NAME_CACHE) < _NAME_CACHE_MAX:
        _NAME_CACHE[name] = hit
    return hit


class Headers:
    """Ordered, case-insensitive multi-map of header fields (§7.3).

    Each field is kept as one entry (a line, possibly with a comma-separated list). ``version``
    changes on every mutation so typed views can cache safely; lookups go through an index by
    name that is rebuilt lazily after a mutation.
    """

    __slots__ = ("_fields", "version", "_index", "_indexed")

    def __init__(self, fields: list[tuple[str, str]] | None = None) -> None:
        self._fields: list[tuple[str, str, str]] = []
        self.version = next(_VERSIONS)
        self._index: dict[str, list[str]] = {}
        self._indexed = -1
        for name, value in fields or ():
            self.add(name, value)

    @classmethod
    def from_fields(
        cls, fields: list[tuple[str, str, str]], index: dict[str, list[str]] | None = None
    ) -> Headers:
        """Adopt ``(key, canonical name, value)`` triples built by the parser (no copying),
        with their by-key index when the caller built it too."""
        new = cls.__new__(cls)
        new._fields = fields
        new.version = next(_VERSIONS)
        new._index = index or {}
        new._indexed = new.version if index is not None else -1
        return new

    def _lookup(self) -> dict[str, list[str]]:
        if self._indexed != self.version:
            index: dict[str, list[str]] = {}
            for key, _, value in self._fields:
                bucket = index.get(key)
                if bucket is None:
                    index[key] = [value]
                else:
                    bucket.append(value)
            self._index = index
            self._indexed = self.version
        return self._index

    def add(self, name: str, value: str) -> None:
        key, name = name_key(name)
        self._fields.append((key, name, value))
        self.version = next(_VERSIONS)

    def prepend(self, name: str, value: str) -> None:
        """Insert before every other field (Via on a new hop, §8.1.1.7)."""
        key, name = name_key(name)
        self._fields.insert(0, (key, name, value))
        self.version = next(_VERSIONS)

    def set(self, name: str, value: str) -> None:
        """Replace every field of this name by one, in the place of the first."""
        key, name = name_key(name)
        out: list[tuple[str, str, str]] = []
        placed = False
        for field in self._fields:
            if field[0] == key:
                if not placed:
                    out.append((key, name, value))
                    placed = True
            else:
                out.append(field)
        if not placed:
            out.append((key, name, value))
        self._fields = out
        self.version = next(_VERSIONS)

    def remove(self, name: str) -> None:
        key = name_key(name)[0]
        self._fields = [f for f in self._fields if f[0] != key]
        self.version = next(_VERSIONS)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first field of this name, as received."""
        bucket = self._lookup().get(name_key(name)[0])
        return bucket[0] if bucket else default

    def fields(self, name: str) -> list[str]:
        """Every field of this name, one entry per line as received."""
        return list(self._lookup().get(name_key(name)[0], ()))

    def values(self, name: str) -> list[str]:
        """Every value of this name; list headers are split on commas (§7.3.1)."""
        key = name_key(name)[0]
        raw = self._lookup().get(key, [])
        if key not in LIST_HEADERS:
            return list(raw)
        out: list[str] = []
        for value in raw:
            out.extend(split_list(value))
        return out

    def count(self, name: str) -> int:
        return len(self._lookup().get(name_key(name)[0], ()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name_key(name)[0] in self._lookup()

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((f[1], f[2]) for f in self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def copy(self) -> Headers:
        return Headers.from_fields(list(self._fields))

    def __repr__(self) -> str:
        return f"Headers({[(f[1], f[2]) for f in self._fields]!r})"


class Message:
    """What requests and responses share: headers, body and typed header views."""

    __slots__ = ("headers", "body", "_cache", "_cached_at")

    def __init__(self, headers: Headers | list[tuple[str, str]] | None, body: bytes) -> None:
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.body = body
        self._cache: dict[str, Any] = {}
        self._cached_at = -1

    def _views(self) -> dict[str, Any]:
        """The typed-view cache, emptied whenever the headers changed (or were replaced)."""
        version = self.headers.version
        if self._cached_at != version:
            self._cache = {}
            self._cached_at = version
        return self._cache

    @property
    def via(self) -> list[Via]:
        """Every Via entry, top first (§20.42)."""
        views = self._views()
        result: list[Via] | None = views.get("via")
        if result is None:
            result = views["via"] = build_via(self.headers._lookup())
        return result

    @property
    def top_via(self) -> Via:
        return self.via[0]

    @property
    def call_id(self) -> str:
        views = self._views()
        value: str | None = views.get("call-id")
        if value is None:
            value = views["call-id"] = build_call_id(self.headers._lookup())
        return value

    @property
    def cseq(self) -> CSeq:
        views = self._views()
        result: CSeq | None = views.get("cseq")
        if result is None:
            result = views["cseq"] = parse_cseq(one_value(self.headers._lookup(), "cseq", "CSeq"))
        return result

    @property
    def from_(self) -> Address:
        views = self._views()
        result: Address | None = views.get("from")
        if result is None:
            result = views["from"] = parse_address(
                one_value(self.headers._lookup(), "from", "From")
            )
        return result

    @property
    def to(self) -> Address:
        views = self._views()
        result: Address | None = views.get("to")
        if result is None:
            result = views["to"] = parse_address(one_value(self.headers._lookup(), "to", "To"))
        return result

    @property
    def contact(self) -> list[Address]:
        """Contact addresses; a ``*`` Contact (REGISTER only) yields an empty list."""
        views = self._views()
        result: list[Address] | None = views.get("contact")
        if result is None:
            raw = self.headers._lookup().get("contact")
            if not raw:
                result = []
            elif len(raw) == 1 and "," not in raw[0]:
                result = [] if raw[0] == "*" else [parse_address(raw[0])]
            else:
                values = self.headers.values("Contact")
                result = [] if values == ["*"] else [parse_address(v) for v in values]
            views["contact"] = result
        return result

    @property
    def route(self) -> list[Address]:
        return self._address_list("route", "Route")

    @property
    def record_route(self) -> list[Address]:
        return self._address_list("record-route", "Record-Route")

    def _address_list(self, key: str, name: str) -> list[Address]:
        views = self._views()
        result: list[Address] | None = views.get(key)
        if result is None:
            result = [a for v in self.headers.fields(name) for a in parse_address_list(v)]
            views[key] = result
        return result

    @property
    def max_forwards(self) -> int | None:
        index = self.headers._lookup()
        if "max-forwards" not in index:
            return None
        return parse_uint(one_value(index, "max-forwards", "Max-Forwards"), "Max-Forwards", 255)

    @property
    def content_type(self) -> str | None:
        value = self.headers.get("Content-Type")
        return value.split(";", 1)[0].strip(" \t").lower() if value else None

    def _serialize(self, start_line: str) -> bytes:
        lines = [start_line]
        for key, name, value in self.headers._fields:
            if key != "content-length":
                lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(self.body)}\r\n\r\n")
        head = "\r\n".join(lines)
        if head.isascii():
            return head.encode("ascii") + self.body
        return head.encode("utf-8", "surrogateescape") + self.body


def one_value(index: dict[str, list[str]], key: str, name: str) -> str:
    values = index.get(key)
    if not values:
        raise ParseError(f"missing {name} header")
    if len(values) > 1:
        raise ParseError(f"more than one {name} header")
    return values[0]


def build_via(index: dict[str, list[str]]) -> list[Via]:
    values = index.get("via")
    if not values:
        raise ParseError("missing Via header")
    result = parse_via(values[0])
    for value in values[1:]:
        result.extend(parse_via(value))
    return result


def build_call_id(index: dict[str, list[str]]) -> str:
    value = one_value(index, "call-id", "Call-ID").strip(" \t")
    if not value or " " in value or "\t" in value:
        raise ParseError(f"bad Call-ID {value!r}")
    return value


#: Header fields a response copies from its request (§8.2.6.2), besides To.
_COPIED = frozenset({"via", "from", "call-id", "cseq"})


class Request(Message):
    """A SIP request (§7.1)."""

    __slots__ = ("method", "uri", "version")

    def __init__(
        self,
        method: str,
        uri: URI,
        headers: Headers | list[tuple[str, str]] | None = None,
        body: bytes = b"",
        version: str = SIP_VERSION,
    ) -> None:
        super().__init__(headers, body)
        self.method = method
        self.uri = uri
        self.version = version

    @classmethod
    def parsed(cls, method: str, uri: URI, headers: Headers) -> Request:
        """The parser's constructor: no argument conversion, an empty body to fill in."""
        request = cls.__new__(cls)
        request.headers = headers
        request.body = b""
        request._cache = {}
        request._cached_at = -1
        request.method = method
        request.uri = uri
        request.version = SIP_VERSION
        return request

    def __bytes__(self) -> bytes:
        return self._serialize(f"{self.method} {self.uri} {self.version}")

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.uri}>"

    @property
    def transaction_key(self) -> tuple[str, ...]:
        """Server transaction key (§17.2.3): branch + sent-by + method (ACK matches INVITE).

        Requests without the magic cookie (or with nothing after it, RFC 4475 §3.2.1) fall back to the RFC 2543 match on Request-URI,
        From tag, Call-ID, CSeq number and top Via.
        """
        via = self.top_via
        method = "INVITE" if self.method == "ACK" else self.method
        branch = via.branch
        if branch and branch.startswith(MAGIC_COOKIE) and len(branch) > len(MAGIC_COOKIE):
            return (branch, via.sent_by.lower(), method)
        return (
            "2543",
            str(self.uri),
            self.from_.tag or "",
            self.call_id,
            str(self.cseq.seq),
            str(via),
            method,
        )

    def create_response(
        self, status: int, reason: str | None = None, *, to_tag: str | None = None
    ) -> Response:
        """A response carrying the headers §8.2.6.2 says to copy; adds a To tag if given.

        Via, From, To, Call-ID and CSeq are copied as received (in their order); the tag is
        appended to the To field's text when it has none (§8.2.6.2), and a 100 echoes
        Timestamp (§8.2.6.1).
        """
        fields: list[tuple[str, str, str]] = []
        for field in self.headers._fields:
            key = field[0]
            if key in _COPIED:
                fields.append(field)
            elif key == "to":
                if to_tag and self.to.tag is None:
                    field = (key, field[1], field[2].rstrip(" \t") + ";tag=" + to_tag)
                fields.append(field)
        if status == 100 and (stamp := self.headers.get("Timestamp")) is not None:
            fields.append(("timestamp", "Timestamp", stamp))
        return Response(status, reason, Headers.from_fields(fields))


class Response(Message):
    """A SIP response (§7.2)."""

    __slots__ = ("status", "reason", "version")

    def __init__(
        self,
        status: int,
        reason: str | None = None,
        headers: Headers | list[tuple[str, str]] | None = None,
        body: bytes = b"",
        version: str = SIP_VERSION,
    ) -> None:
        super().__init__(headers, body)
        self.status = status
        self.reason = REASONS.get(status, "Unknown") if reason is None else reason
        self.version = version

    def __bytes__(self) -> bytes:
        return self._serialize(f"{self.version} {self.status} {self.reason}")

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.reason}>"

    @property
    def transaction_key(self) -> tuple[str, ...]:
        """Client transaction key (§17.1.3): top Via branch + CSeq method."""
        return (self.top_via.branch or "", self.cseq.method)
