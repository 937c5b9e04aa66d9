"""Typed header values: Via (§20.42, RFC 3581), CSeq (§20.16), name-addr / addr-spec (§20.10,
§20.20, §20.39) and friends. Each has a ``parse_*`` function and a ``__str__`` that renders it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from tas.sip.errors import ParseError
from tas.sip.grammar import (
    find_unquoted,
    format_params,
    is_token,
    parse_params,
    quote,
    split_list,
    unquote,
)
from tas.sip.uri import URI, SipURI, parse_uri

__all__ = [
    "MAGIC_COOKIE",
    "Via",
    "CSeq",
    "Address",
    "parse_via",
    "parse_cseq",
    "parse_address",
    "parse_address_list",
    "parse_uint",
]

#: Branch prefix of RFC 3261 compliant transactions (§8.1.1.7).
MAGIC_COOKIE = "z9hG4bK"

_VIA_PROTO = re.compile(r"SIP[ \t]*/[ \t]*2\.0[ \t]*/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]+", re.I)
_MAX_UINT32 = 2**32 - 1


def parse_uint(text: str, what: str, limit: int = _MAX_UINT32) -> int:
    """A decimal header scalar; values beyond ``limit`` are refused (RFC 4475 §3.1.2.4)."""
    text = text.strip(" \t")
    if not text.isdigit() or not text.isascii():
        raise ParseError(f"{what} is not a number: {text!r}")
    value = int(text)
    if value > limit:
        raise ParseError(f"{what} out of range: {text}")
    return value


@dataclass(frozen=True, slots=True)
class Via:
    """One Via entry: ``SIP/2.0/<transport> host[:port] *(;param)``."""

    transport: str
    host: str
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    @property
    def received(self) -> str | None:
        return self.params.get("received")

    @property
    def rport(self) -> int | None:
        """The ``rport`` value filled in by a server (RFC 3581 §4); None when absent or empty."""
        value = self.params.get("rport")
        return int(value) if value else None

    @property
    def wants_rport(self) -> bool:
        return "rport" in self.params

    @property
    def sent_by(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def with_params(self, **params: str | None) -> Via:
        return replace(self, params={**self.params, **params})

    def __str__(self) -> str:
        return f"SIP/2.0/{self.transport} {self.sent_by}{format_params(self.params)}"


def parse_via(value: str) -> list[Via]:
    """Parse a Via header value, which may hold several comma-separated entries."""
    vias = []
    for item in split_list(value):
        m = _VIA_PROTO.match(item)
        if not m:
            raise ParseError(f"bad Via: {item!r}")
        rest = item[m.end() :]
        semi = find_unquoted(rest, ";")
        sent_by = (rest if semi < 0 else rest[:semi]).strip(" \t")
        host, port = _split_sent_by(sent_by)
        params = parse_params(rest[semi:] if semi >= 0 else "")
        branch = params.get("branch")
        if "branch" in params and not branch:
            raise ParseError("empty Via branch")
        if "rport" in params and params["rport"] is not None:
            parse_uint(params["rport"] or "", "Via rport", 65535)
        vias.append(Via(transport=m.group(1).upper(), host=host, port=port, params=params))
    if not vias:
        raise ParseError("empty Via")
    return vias


def _split_sent_by(sent_by: str) -> tuple[str, int | None]:
    # sent-by = host [ COLON port ], with optional LWS around the colon.
    if sent_by.startswith("["):
        close = sent_by.find("]")
        if close < 0:
            raise ParseError(f"bad Via host {sent_by!r}")
        host, rest = sent_by[: close + 1], sent_by[close + 1 :].strip(" \t")
    else:
        host, colon, port_text = sent_by.partition(":")
        host, rest = host.strip(" \t"), (":" + port_text if colon else "")
    if not host or any(c in host for c in ' \t,;<>"') or not parse_uri_host_ok(host):
        raise ParseError(f"bad Via host {sent_by!r}")
    if not rest:
        return host, None
    if not rest.startswith(":"):
        raise ParseError(f"bad Via sent-by {sent_by!r}")
    return host, parse_uint(rest[1:], "Via port", 65535)


def parse_uri_host_ok(host: str) -> bool:
    try:
        parse_uri(f"sip:{host}")
    except ParseError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class CSeq:
    """``CSeq: <seq> <METHOD>`` (§20.16); seq is a 32-bit unsigned integer."""

    seq: int
    method: str

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"


def parse_cseq(value: str) -> CSeq:
    parts = value.split()
    if len(parts) != 2 or not is_token(parts[1]):
        raise ParseError(f"bad CSeq: {value!r}")
    return CSeq(seq=parse_uint(parts[0], "CSeq number"), method=parts[1])


@dataclass(frozen=True, slots=True)
class Address:
    """name-addr or addr-spec with header parameters (From, To, Contact, Route …)."""

    uri: URI
    display_name: str | None = None
    params: dict[str, str | None] = field(default_factory=dict)

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    def with_tag(self, tag: str) -> Address:
        return replace(self, params={**self.params, "tag": tag})

    def __str__(self) -> str:
        name = ""
        if self.display_name is not None:
            dn = self.display_name
            name = (dn if _is_token_list(dn) else quote(dn)) + " "
        return f"{name}<{self.uri}>{format_params(self.params)}"


def _is_token_list(text: str) -> bool:
    words = text.split(" ")
    return bool(text) and all(is_token(w) for w in words)


def parse_address(value: str) -> Address:
    """Parse one name-addr / addr-spec with its parameters (§25.1 from-spec, contact-param)."""
    value = value.strip(" \t")
    if not value:
        raise ParseError("empty address")
    display: str | None = None
    lt = find_unquoted(value, "<")
    if lt >= 0 or value.startswith('"'):
        if lt < 0:
            raise ParseError(f"display name without <URI> in {value!r}")
        display_text = value[:lt].strip(" \t")
        if display_text:
            if display_text.startswith('"'):
                display = unquote(display_text)
            elif _is_token_list(" ".join(display_text.split())):
                display = " ".join(display_text.split())
            else:
                raise ParseError(f"bad display name {display_text!r}")
        gt = value.find(">", lt)
        if gt < 0:
            raise ParseError(f"unclosed <URI> in {value!r}")
        uri_text = value[lt + 1 : gt]
        if uri_text != uri_text.strip(" \t"):
            raise ParseError(f"whitespace inside <URI> in {value!r}")
        rest = value[gt + 1 :]
    else:
        # addr-spec: the URI may not contain ';', ',' or '?' (§20.10); params belong to the header.
        semi = value.find(";")
        uri_text = value if semi < 0 else value[:semi]
        uri_text = uri_text.strip(" \t")
        if "?" in uri_text or " " in uri_text:
            raise ParseError(f"addr-spec with '?' or spaces must use <…>: {value!r}")
        rest = "" if semi < 0 else value[semi:]
    uri = parse_uri(uri_text)
    return Address(uri=uri, display_name=display, params=parse_params(rest))


def parse_address_list(value: str) -> list[Address]:
    return [parse_address(item) for item in split_list(value)]


def sip_uri(address: Address) -> SipURI:
    """The SIP URI of an address, or ParseError when it has another scheme."""
    if not isinstance(address.uri, SipURI):
        raise ParseError(f"expected a sip: or sips: URI, got {address.uri}")
    return address.uri
