"""Typed header values: Via (§20.42, RFC 3581), CSeq (§20.16), name-addr / addr-spec (§20.10,
§20.20, §20.39) and friends. Each has a ``parse_*`` function and a ``__str__`` that renders it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from tas.sip.errors import ParseError
from tas.sip.grammar import (
    HOST_CHARS,
    SIMPLE_PARAM,
    TOKEN_CHARS,
    find_unquoted,
    format_params,
    is_token,
    parse_params,
    plain_host_ok,
    quote,
    split_list,
    unquote,
)
from tas.sip.uri import (
    SIP_URI_BARE,
    SIP_URI_FAST,
    URI,
    SipURI,
    parse_uri,
    sip_from_groups,
    valid_host,
)

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
#: One Via entry of the common shape: exact ``SIP/2.0/T``, one SP, a hostname or IPv4 address,
#: an optional port and unquoted parameters. Anything else takes the general path.
_VIA_FAST = re.compile(
    rf"SIP/2\.0/([{TOKEN_CHARS}]++) ({HOST_CHARS})(?::([0-9]{{1,5}}))?((?:;{SIMPLE_PARAM})*+)\Z"
)


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


_new = object.__new__
_via_transport, _via_host, _via_port, _via_params = (
    Via.__dict__[name].__set__ for name in ("transport", "host", "port", "params")
)


def _make_via(transport: str, host: str, port: int | None, params: dict[str, str | None]) -> Via:
    """``Via(...)`` for the fast path, skipping the frozen ``__setattr__`` detour."""
    via: Via = _new(Via)
    _via_transport(via, transport)
    _via_host(via, host)
    _via_port(via, port)
    _via_params(via, params)
    return via


def parse_via(value: str) -> list[Via]:
    """Parse a Via header value, which may hold several comma-separated entries."""
    fast = _VIA_FAST.match(value)
    if fast is not None:
        transport, host, port_text, param_text = fast.groups()
        port = int(port_text) if port_text else None
        if (port is None or port <= 65535) and plain_host_ok(host):
            params: dict[str, str | None] = {}
            if param_text:
                for chunk in param_text[1:].split(";"):
                    name, eq, pvalue = chunk.partition("=")
                    params[name.lower()] = pvalue if eq else None
                if "branch" in params and params["branch"] is None:
                    raise ParseError("empty Via branch")
                if (rport := params.get("rport")) is not None:
                    parse_uint(rport, "Via rport", 65535)
            return [_make_via(transport.upper(), host, port, params)]
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
        _check_via_params(params)
        vias.append(Via(transport=m.group(1).upper(), host=host, port=port, params=params))
    if not vias:
        raise ParseError("empty Via")
    return vias


def _check_via_params(params: dict[str, str | None]) -> None:
    if "branch" in params and not params["branch"]:
        raise ParseError("empty Via branch")
    rport = params.get("rport")
    if rport is not None:
        parse_uint(rport, "Via rport", 65535)


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
    if not valid_host(host):
        raise ParseError(f"bad Via host {sent_by!r}")
    if not rest:
        return host, None
    if not rest.startswith(":"):
        raise ParseError(f"bad Via sent-by {sent_by!r}")
    return host, parse_uint(rest[1:], "Via port", 65535)


@dataclass(frozen=True, slots=True)
class CSeq:
    """``CSeq: <seq> <METHOD>`` (§20.16); seq is a 32-bit unsigned integer."""

    seq: int
    method: str

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"


_CSEQ_FAST = re.compile(rf"([0-9]{{1,10}}) ([{TOKEN_CHARS}]++)\Z")
_cseq_seq, _cseq_method = (CSeq.__dict__[name].__set__ for name in ("seq", "method"))


def parse_cseq(value: str) -> CSeq:
    fast = _CSEQ_FAST.match(value)
    if fast is not None:
        seq = int(fast.group(1))
        if seq <= _MAX_UINT32:
            cseq: CSeq = _new(CSeq)
            _cseq_seq(cseq, seq)
            _cseq_method(cseq, fast.group(2))
            return cseq
    parts = value.split()
    if len(parts) != 2 or not is_token(parts[1]):
        raise ParseError(f"bad CSeq: {value!r}")
    return CSeq(seq=parse_uint(parts[0], "CSeq number"), method=parts[1])


#: The common shapes: ``["name" | token name] <uri>;params`` or ``uri;params``, no LWS.
#: Groups: quoted name, token name, 5 URI groups, params | 4 URI groups, params (addr-spec:
#: parameters after the URI are header parameters, §20.10).
_ADDR_FAST = re.compile(
    rf'(?:(?:"([^"\\\r\n]*+)"|([{TOKEN_CHARS}]++(?: [{TOKEN_CHARS}]++)*+)) ?)?'
    rf"<{SIP_URI_FAST}>((?:;{SIMPLE_PARAM})*+)\Z"
    rf"|{SIP_URI_BARE}((?:;{SIMPLE_PARAM})*+)\Z"
)


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


_addr_uri, _addr_display, _addr_params = (
    Address.__dict__[name].__set__ for name in ("uri", "display_name", "params")
)


def _is_token_list(text: str) -> bool:
    words = text.split(" ")
    return bool(text) and all(is_token(w) for w in words)


def parse_address(value: str) -> Address:
    """Parse one name-addr / addr-spec with its parameters (§25.1 from-spec, contact-param)."""
    fast = _ADDR_FAST.match(value)
    if fast is not None:
        g = fast.groups()
        if g[4] is not None:  # name-addr
            fast_uri = sip_from_groups(g[2], g[3], g[4], g[5], g[6])
            param_text = g[7]
        else:
            fast_uri = sip_from_groups(g[8], g[9], g[10], g[11], "")
            param_text = g[12]
        if fast_uri is not None:
            params: dict[str, str | None] = {}
            if param_text:
                for chunk in param_text[1:].split(";"):
                    name, eq, pvalue = chunk.partition("=")
                    params[name.lower()] = pvalue if eq else None
            address: Address = _new(Address)
            _addr_uri(address, fast_uri)
            _addr_display(address, g[0] if g[0] is not None else g[1])
            _addr_params(address, params)
            return address
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
