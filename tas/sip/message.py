"""SIP message model (RFC 3261 §7): requests, responses and their ordered header list.

Header values are kept as text exactly as received (after unfolding); typed views (``via``,
``cseq``, ``from_`` …) are parsed on first use and cached until the headers change, so the hot
path only pays for the headers it reads. ``bytes(message)`` serialises with a correct
Content-Length.
"""

from __future__ import annotations

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


def canonical_name(name: str) -> str:
    """Canonical spelling of a header name; compact forms expand (§7.3.3)."""
    return _CANONICAL.get(name.lower(), name)


class Headers:
    """Ordered, case-insensitive multi-map of header fields (§7.3).

    Each field is kept as one entry (a line, possibly with a comma-separated list). ``version``
    changes on every mutation so typed views can cache safely.
    """

    __slots__ = ("_fields", "version")

    def __init__(self, fields: list[tuple[str, str]] | None = None) -> None:
        self._fields: list[tuple[str, str, str]] = []
        self.version = 0
        for name, value in fields or ():
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        name = canonical_name(name)
        self._fields.append((name.lower(), name, value))
        self.version += 1

    def prepend(self, name: str, value: str) -> None:
        """Insert before every other field (Via on a new hop, §8.1.1.7)."""
        name = canonical_name(name)
        self._fields.insert(0, (name.lower(), name, value))
        self.version += 1

    def set(self, name: str, value: str) -> None:
        """Replace every field of this name by one, in the place of the first."""
        name = canonical_name(name)
        key = name.lower()
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
        self.version += 1

    def remove(self, name: str) -> None:
        key = canonical_name(name).lower()
        self._fields = [f for f in self._fields if f[0] != key]
        self.version += 1

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first field of this name, as received."""
        key = canonical_name(name).lower()
        for field in self._fields:
            if field[0] == key:
                return field[2]
        return default

    def fields(self, name: str) -> list[str]:
        """Every field of this name, one entry per line as received."""
        key = canonical_name(name).lower()
        return [f[2] for f in self._fields if f[0] == key]

    def values(self, name: str) -> list[str]:
        """Every value of this name; list headers are split on commas (§7.3.1)."""
        raw = self.fields(name)
        if canonical_name(name).lower() not in LIST_HEADERS:
            return raw
        out: list[str] = []
        for value in raw:
            out.extend(split_list(value))
        return out

    def count(self, name: str) -> int:
        key = canonical_name(name).lower()
        return sum(1 for f in self._fields if f[0] == key)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.count(name) > 0

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((f[1], f[2]) for f in self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def copy(self) -> Headers:
        new = Headers()
        new._fields = list(self._fields)
        return new

    def __repr__(self) -> str:
        return f"Headers({[(f[1], f[2]) for f in self._fields]!r})"


class Message:
    """What requests and responses share: headers, body and typed header views."""

    __slots__ = ("headers", "body", "_cache")

    def __init__(self, headers: Headers | list[tuple[str, str]] | None, body: bytes) -> None:
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.body = body
        self._cache: dict[str, tuple[int, Any]] = {}

    def _typed(self, key: str, build: Any) -> Any:
        hit = self._cache.get(key)
        version = self.headers.version
        if hit is not None and hit[0] == version:
            return hit[1]
        value = build()
        self._cache[key] = (version, value)
        return value

    def _one(self, name: str) -> str:
        values = self.headers.fields(name)
        if not values:
            raise ParseError(f"missing {name} header")
        if len(values) > 1:
            raise ParseError(f"more than one {name} header")
        return values[0]

    @property
    def via(self) -> list[Via]:
        """Every Via entry, top first (§20.42)."""

        def build() -> list[Via]:
            out: list[Via] = []
            for value in self.headers.fields("Via"):
                out.extend(parse_via(value))
            if not out:
                raise ParseError("missing Via header")
            return out

        result: list[Via] = self._typed("via", build)
        return result

    @property
    def top_via(self) -> Via:
        return self.via[0]

    @property
    def call_id(self) -> str:
        value: str = self._typed("call-id", lambda: self._one("Call-ID").strip(" \t"))
        if not value or " " in value:
            raise ParseError(f"bad Call-ID {value!r}")
        return value

    @property
    def cseq(self) -> CSeq:
        result: CSeq = self._typed("cseq", lambda: parse_cseq(self._one("CSeq")))
        return result

    @property
    def from_(self) -> Address:
        result: Address = self._typed("from", lambda: parse_address(self._one("From")))
        return result

    @property
    def to(self) -> Address:
        result: Address = self._typed("to", lambda: parse_address(self._one("To")))
        return result

    @property
    def contact(self) -> list[Address]:
        """Contact addresses; a ``*`` Contact (REGISTER only) yields an empty list."""

        def build() -> list[Address]:
            values = self.headers.values("Contact")
            if values == ["*"]:
                return []
            return [parse_address(v) for v in values]

        result: list[Address] = self._typed("contact", build)
        return result

    @property
    def route(self) -> list[Address]:
        result: list[Address] = self._typed(
            "route",
            lambda: [a for v in self.headers.fields("Route") for a in parse_address_list(v)],
        )
        return result

    @property
    def record_route(self) -> list[Address]:
        result: list[Address] = self._typed(
            "record-route",
            lambda: [a for v in self.headers.fields("Record-Route") for a in parse_address_list(v)],
        )
        return result

    @property
    def max_forwards(self) -> int | None:
        value = self.headers.fields("Max-Forwards")
        if not value:
            return None
        return parse_uint(self._one("Max-Forwards"), "Max-Forwards", 255)

    @property
    def content_type(self) -> str | None:
        value = self.headers.get("Content-Type")
        return value.split(";", 1)[0].strip(" \t").lower() if value else None

    def _head_lines(self) -> list[str]:
        lines = []
        for name, value in self.headers:
            if name != "Content-Length":
                lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(self.body)}")
        return lines

    def _serialize(self, start_line: str) -> bytes:
        head = "\r\n".join([start_line, *self._head_lines()])
        return head.encode("utf-8", "surrogateescape") + b"\r\n\r\n" + self.body


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
        """A response carrying the headers §8.2.6.2 says to copy; adds a To tag if given."""
        headers = Headers()
        for name, value in self.headers:
            if name in ("Via", "From", "Call-ID", "CSeq"):
                headers.add(name, value)
            elif name == "To":
                if to_tag and "tag" not in self.to.params:
                    value = str(self.to.with_tag(to_tag))
                headers.add(name, value)
        if status == 100 and "Timestamp" in self.headers:
            headers.add("Timestamp", self.headers.get("Timestamp") or "")  # §8.2.6.1
        return Response(status, reason, headers)


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
