"""Shared pieces of the RFC 3261 §25 grammar: tokens, quoted strings, parameters, lists.

All functions work on header values that were already unfolded (LWS is plain SP/HTAB).
"""

from __future__ import annotations

import re

from tas.sip.errors import ParseError

__all__ = [
    "TOKEN_RE",
    "is_token",
    "quote",
    "unquote",
    "split_list",
    "parse_params",
    "format_params",
    "find_unquoted",
    "split_unquoted",
    "HOSTNAME",
    "HOST_CHARS",
    "plain_host_ok",
    "SIMPLE_PARAM",
]

#: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")  (§25.1)
TOKEN_CHARS = r"A-Za-z0-9\-.!%*_+`'~"
TOKEN_RE = re.compile(rf"[{TOKEN_CHARS}]+")
_TOKEN_FULL = re.compile(rf"[{TOKEN_CHARS}]+\Z")
#: param values may be a token, a host (IPv6 reference) or a quoted-string (§25.1 gen-value).
_GEN_VALUE = re.compile(rf"[{TOKEN_CHARS}:\[\]]+\Z")
_WS = " \t"
#: domainlabel = alphanum / alphanum *( alphanum / "-" ) alphanum (§25.1), written with
#: possessive quantifiers so matching never backtracks.
_LABEL = r"[A-Za-z0-9]++(?:-++[A-Za-z0-9]++)*+"
#: hostname = *( domainlabel "." ) toplabel [ "." ] (§25.1); also matches IPv4address.
HOSTNAME = rf"{_LABEL}(?:\.{_LABEL})*+\.?"
#: A cheap superset of HOSTNAME for fast paths; :func:`plain_host_ok` finishes the check.
HOST_CHARS = r"[A-Za-z0-9][A-Za-z0-9.\-]*+"
#: One generic-param without quotes or whitespace: ``token [ "=" token-or-host ]``.
SIMPLE_PARAM = rf"[{TOKEN_CHARS}]++(?:=[{TOKEN_CHARS}:\[\]]++)?"
#: ``*( SEMI generic-param )`` without quoted values or whitespace: the common shape.
_PARAMS_FAST = re.compile(rf"(?:;{SIMPLE_PARAM})++\Z")


_HOSTNAME_FULL = re.compile(HOSTNAME + r"\Z")


def plain_host_ok(host: str) -> bool:
    """Whether a :data:`HOST_CHARS` match is a hostname: only '-' and '..' can break it."""
    return ("-" not in host and ".." not in host) or _HOSTNAME_FULL.match(host) is not None


def is_token(text: str) -> bool:
    return _TOKEN_FULL.match(text) is not None


def quote(text: str) -> str:
    """Render ``text`` as a quoted-string, escaping ``"`` and ``\\`` (§25.1 quoted-pair)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote(text: str) -> str:
    """Decode a complete quoted-string (with its quotes) into its value."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ParseError(f"not a quoted-string: {text!r}")
    out: list[str] = []
    i, end = 1, len(text) - 1
    while i < end:
        ch = text[i]
        if ch == "\\":
            if i + 1 >= end:
                raise ParseError("dangling escape in quoted-string")
            ch = text[i + 1]
            if ch in "\r\n":
                raise ParseError("CR/LF may not be escaped in a quoted-string")
            i += 1
        elif ch == '"':
            raise ParseError("unescaped quote inside quoted-string")
        out.append(ch)
        i += 1
    return "".join(out)


def _scan_quoted(text: str, start: int) -> int:
    """Index just past the quoted-string that opens at ``text[start]``."""
    i = start + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == '"':
            return i + 1
        i += 1
    raise ParseError("unterminated quoted-string")


def find_unquoted(text: str, chars: str, start: int = 0) -> int:
    """Index of the first char of ``chars`` outside quotes and ``<…>``, or -1."""
    if '"' not in text and ("<" not in text or chars == "<"):
        found = [i for i in (text.find(ch, start) for ch in chars) if i >= 0]
        return min(found) if found else -1
    i, n, angle = start, len(text), False
    while i < n:
        ch = text[i]
        if ch == '"' and not angle:
            i = _scan_quoted(text, i)
            continue
        if not angle and ch in chars:
            return i
        if ch == "<":
            angle = True
        elif ch == ">":
            angle = False
        i += 1
    return -1


def split_unquoted(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` outside quoted strings and ``<…>``, in one pass."""
    if '"' not in text and "<" not in text:
        return text.split(sep)
    parts: list[str] = []
    start = i = 0
    n, angle = len(text), False
    while i < n:
        ch = text[i]
        if ch == '"' and not angle:
            i = _scan_quoted(text, i)
            continue
        if ch == "<":
            angle = True
        elif ch == ">":
            angle = False
        elif ch == sep and not angle:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


def split_list(value: str) -> list[str]:
    """Split a comma-separated header value (§7.3.1), ignoring commas in quotes and ``<…>``.

    Empty elements are an error: ``a,,b`` is not a valid list (RFC 4475 §3.1.2.1).
    """
    if "," not in value:
        stripped = value.strip(_WS)
        return [stripped] if stripped else []
    items = [item.strip(_WS) for item in split_unquoted(value, ",")]
    if not all(items):
        raise ParseError(f"empty element in list {value!r}")
    return items


def parse_params(text: str) -> dict[str, str | None]:
    """Parse ``*( SEMI generic-param )`` (§25.1). ``text`` starts at the first ``;`` or is empty.

    Names are lower-cased; quoted values are kept with their quotes so they round-trip.
    """
    params: dict[str, str | None] = {}
    text = text.strip(_WS)
    if not text:
        return params
    if _PARAMS_FAST.match(text):
        for chunk in text[1:].split(";"):
            name, eq, value = chunk.partition("=")
            params[name.lower()] = value if eq else None
        return params
    if text[0] != ";":
        raise ParseError(f"expected ';' before parameters in {text!r}")
    for chunk in split_unquoted(text[1:], ";"):
        name, eq, value = chunk.partition("=")
        name = name.strip(_WS)
        if not is_token(name):
            raise ParseError(f"bad parameter name {name!r}")
        if eq:
            value = value.strip(_WS)
            if value.startswith('"'):
                unquote(value)  # validates
            elif not _GEN_VALUE.match(value):
                raise ParseError(f"bad value for parameter {name!r}: {value!r}")
            params[name.lower()] = value
        else:
            params[name.lower()] = None
    return params


def format_params(params: dict[str, str | None]) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())
