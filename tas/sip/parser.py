"""Bytes -> :class:`Request` / :class:`Response` (RFC 3261 §7, §25).

``parse_message`` parses one complete message (a UDP datagram, or one frame cut by
:mod:`tas.sip.framing`). It unfolds header lines (§7.3.1), expands compact names, checks the
start line, the headers every message needs and the scalars RFC 4475 tortures, and enforces
hard limits. Any failure is a :class:`ParseError` carrying the status to answer and, when the
head was readable, the partial message so a 400 can still be routed back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tas.sip.errors import ParseError
from tas.sip.headers import parse_address, parse_cseq, parse_uint
from tas.sip.message import (
    KNOWN_METHODS,
    Headers,
    Message,
    Request,
    Response,
    build_call_id,
    build_via,
    name_key,
    one_value,
)
from tas.sip.uri import parse_uri

__all__ = ["Limits", "DEFAULT_LIMITS", "parse_message", "split_head"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Hard limits: anything larger is refused with 513 or 400 (§18.1.1, §21.5.14)."""

    max_message: int = 65535
    max_headers: int = 256
    max_line: int = 16384


DEFAULT_LIMITS = Limits()

_HEAD_END = re.compile(rb"\r?\n\r?\n")
_LINE_SPLIT = re.compile(r"\r?\n")
_TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+\Z")
_VERSION = re.compile(r"SIP/(\d+)\.(\d+)\Z", re.I)
_STATUS = re.compile(r"SIP/(\d+)\.(\d+) (\d{3})(?: (.*))?\Z", re.I | re.S)
_SINGLE = [
    (name.lower(), name)
    for name in ("Call-ID", "CSeq", "From", "To", "Max-Forwards", "Content-Length", "Content-Type")
]


def split_head(data: bytes) -> tuple[bytes, int] | None:
    """Locate the end of the header section: (head bytes, offset of the body) or None."""
    m = _HEAD_END.search(data)
    if m is None:
        return None
    return data[: m.start()], m.end()


def parse_message(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Request | Response:
    """Parse one message; bytes past Content-Length are ignored (RFC 4475 §3.1.1.12)."""
    if len(data) > limits.max_message:
        raise ParseError(f"message of {len(data)} bytes exceeds {limits.max_message}", 513)
    start = 0
    while data.startswith(b"\r\n", start) or data.startswith(b"\n", start):
        start += 2 if data[start] == 13 else 1  # leading CRLFs are ignored (§7.5)
    end = data.find(b"\r\n\r\n", start)
    head_bytes = data[start:end] if end >= 0 else b""
    crlf_only = end >= 0 and head_bytes.count(b"\n") == head_bytes.count(b"\r\n")
    if crlf_only:
        body_at = end + 4  # the common case: CRLF line ends only
    else:
        split = split_head(data[start:])
        if split is None:
            # A datagram whose header section runs to its end (no body, no blank line).
            if not data.endswith(b"\n"):
                raise ParseError("no empty line after the headers")
            split = data[start:].rstrip(b"\r\n"), len(data) - start
        head_bytes, body_at = split[0], start + split[1]
    try:
        head = head_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"header section is not UTF-8: {exc.reason}") from None
    lines = _unfold(head, limits, crlf_only)
    message = _start_line(lines[0], _header_fields(lines))
    try:
        message.body = _body(message, data[body_at:])
        _check(message)
    except ParseError as exc:
        exc.partial = message
        raise
    return message


def _unfold(head: str, limits: Limits, crlf_only: bool) -> list[str]:
    if (
        (crlf_only or head.count("\n") == head.count("\r\n"))
        and "\n " not in head
        and "\n\t" not in head
    ):
        lines = head.split("\r\n")  # no bare LF, no folding: the common case
        if len(head) > limits.max_line and max(map(len, lines)) > limits.max_line:
            raise ParseError(f"header line longer than {limits.max_line} characters")
        if lines[0][:1] in (" ", "\t"):
            raise ParseError("message starts with whitespace")
    else:
        lines = []
        for line in _LINE_SPLIT.split(head):
            if len(line) > limits.max_line:
                raise ParseError(f"header line longer than {limits.max_line} characters")
            if line[:1] in (" ", "\t"):
                if not lines:
                    raise ParseError("message starts with whitespace")
                lines[-1] = lines[-1].rstrip(" \t") + " " + line.strip(" \t")
            else:
                lines.append(line)
    if len(lines) - 1 > limits.max_headers:
        raise ParseError(f"more than {limits.max_headers} header fields")
    return lines


def _start_line(line: str, headers: Headers) -> Request | Response:
    if line[:4].upper() == "SIP/":
        m = _STATUS.match(line)
        if m is None:
            raise ParseError(f"bad status line {line!r}")
        if (m.group(1), m.group(2)) != ("2", "0"):
            raise ParseError(f"unsupported SIP version in {line!r}", 505)
        status = int(m.group(3))
        if status < 100 or status > 699:
            raise ParseError(f"bad status code {status}")
        return Response(status, m.group(4) or "", headers)
    parts = line.split(" ")
    if len(parts) != 3 or not all(parts):
        raise ParseError(f"bad request line {line!r}")
    method, uri_text, version = parts
    if method not in KNOWN_METHODS and not _TOKEN.match(method):
        raise ParseError(f"bad method {method!r}")
    if version != "SIP/2.0":
        vm = _VERSION.match(version)
        if vm is None:
            raise ParseError(f"bad SIP version {version!r}")
        if (vm.group(1), vm.group(2)) != ("2", "0"):
            # RFC 4475 §3.3.15: answered 505, so keep what routes the answer back (§8.2.6).
            error = ParseError(f"unsupported SIP version {version}", 505)
            try:
                error.partial = Request.parsed(method, parse_uri(uri_text), headers)
            except ParseError:
                pass
            raise error
    return Request.parsed(method, parse_uri(uri_text), headers)


#: raw header name as received (up to the colon) -> (key, canonical); only valid names.
_SEEN_NAMES: dict[str, tuple[str, str]] = {}


def _header_fields(lines: list[str]) -> Headers:
    fields: list[tuple[str, str, str]] = []
    append = fields.append
    seen = _SEEN_NAMES.get
    for line in lines[1:]:
        # "Name: value" is the usual spelling; a name seen before is a valid token, so its
        # ": " is the first colon. Anything else takes the careful path.
        raw, colon, value = line.partition(": ")
        hit = seen(raw)
        if hit is None or not colon:
            raw, colon, value = line.partition(":")
            hit = _header_name(raw, colon, line)
        append((hit[0], hit[1], value.strip(" \t")))
    index = {field[0]: [field[2]] for field in fields}
    if len(index) < len(fields):  # a name repeats: collect every value, in order
        index = {}
        for key, _, value in fields:
            index.setdefault(key, []).append(value)
    return Headers.from_fields(fields, index)


def _header_name(raw: str, colon: str, line: str) -> tuple[str, str]:
    """Validate a header name (§25.1 header-name = token, HCOLON); remember it when valid."""
    hit = _SEEN_NAMES.get(raw)
    if hit is not None and colon:
        return hit
    name = raw.rstrip(" \t")
    if not colon or not name:
        raise ParseError(f"header line without a name and colon: {line[:60]!r}")
    if not _TOKEN.match(name):
        raise ParseError(f"bad header name {name!r}")
    hit = name_key(name)
    if len(_SEEN_NAMES) < 2048:
        _SEEN_NAMES[raw] = hit
    return hit


def _body(message: Message, rest: bytes) -> bytes:
    lengths = message.headers._lookup().get("content-length")
    if not lengths:
        return rest  # datagrams may omit Content-Length: the body runs to the end (§18.3)
    if len(lengths) > 1 and len(set(lengths)) > 1:
        raise ParseError("conflicting Content-Length headers")
    text = lengths[0]
    fast = text.isascii() and text.isdigit() and len(text) < 10
    length = int(text) if fast else parse_uint(text, "Content-Length")
    if length > len(rest):
        raise ParseError(f"Content-Length {length} exceeds the {len(rest)} bytes received")
    return rest[:length]


def _check(message: Message) -> None:
    """Headers every request/response needs (§8.1.1), parsed once so later reads are free."""
    headers = message.headers
    index = headers._lookup()
    if len(index) < len(headers):  # some name repeats: is it one that must not?
        for key, name in _SINGLE:
            found = index.get(key)
            if found is not None and len(found) > 1:
                raise ParseError(f"more than one {name} header")
    views = message._views()
    views["via"] = build_via(index)
    views["call-id"] = build_call_id(index)
    views["cseq"] = cseq = parse_cseq(one_value(index, "cseq", "CSeq"))
    views["from"] = parse_address(one_value(index, "from", "From"))
    views["to"] = parse_address(one_value(index, "to", "To"))
    if isinstance(message, Request):
        if cseq.method != message.method:
            # RFC 4475 §3.1.2.18: 501 for an unknown method has better future-proofing.
            status = 400 if message.method in KNOWN_METHODS else 501
            raise ParseError(f"CSeq method {cseq.method} does not match {message.method}", status)
        if cseq.seq >= 2**31:
            raise ParseError(f"CSeq number {cseq.seq} is not below 2**31")
        if (max_forwards := index.get("max-forwards")) is not None:
            parse_uint(max_forwards[0], "Max-Forwards", 255)
        if (expires := index.get("expires")) is not None:
            parse_uint(expires[0], "Expires")
        for contact in message.contact:
            if (value := contact.params.get("expires")) is not None:
                parse_uint(value, "Contact expires")
    else:
        if (retry := index.get("retry-after")) is not None:
            parse_uint(retry[0].split(";", 1)[0].split("(", 1)[0], "Retry-After")
        for warning in headers.values("Warning"):
            code = warning.split(" ", 1)[0]
            if len(code) != 3 or not code.isdigit():
                raise ParseError(f"bad Warning code {code!r}")
