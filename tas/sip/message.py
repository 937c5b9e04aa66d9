"""SIP message model (RFC 3261 §7): requests, responses and their ordered header list.

Header values are kept as text exactly as received (after unfolding); typed views (``via``,
``cseq``, ``from_`` …) are cached until the headers change (the parser fills the ones it must
validate anyway; the rest are parsed on first use). Typed values are frozen dataclasses: derive
new ones with ``with_params``/``with_tag`` and write them back as text, never mutate their
dicts. ``bytes(message)`` serialises with a correct Content-Length.
"""

from __future__ import annotations

from typing import Any

from tas.sip.errors import ParseError
from tas.sip.header_fields import Headers
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
from tas.sip.names import KNOWN_METHODS, REASONS, SIP_VERSION, canonical_name, name_key
from tas.sip.uri import URI

#: ``Headers``, ``KNOWN_METHODS``, ``REASONS``, ``canonical_name`` and ``name_key`` live in
#: :mod:`tas.sip.header_fields` and :mod:`tas.sip.names`; they stay importable from here.
__all__ = [
    "Headers",
    "Message",
    "Request",
    "Response",
    "REASONS",
    "KNOWN_METHODS",
    "SIP_VERSION",
    "canonical_name",
    "name_key",
]


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
