"""SIP, SIPS, tel and other URIs (RFC 3261 §19.1, §25.1; RFC 3966 for tel).

``parse_uri`` returns a :class:`SipURI` for ``sip:``/``sips:``, a :class:`TelURI` for ``tel:``
and an :class:`AbsoluteURI` for any other syntactically valid scheme (so a request with an
unknown scheme parses, and the UAS answers 416, §8.2.2.1). Escapes are decoded on parse and
re-applied on ``str()``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace
from urllib.parse import quote as _pct_quote
from urllib.parse import unquote as _pct_unquote

from tas.sip.errors import ParseError
from tas.sip.grammar import HOST_CHARS, HOSTNAME, plain_host_ok

__all__ = ["SipURI", "TelURI", "AbsoluteURI", "URI", "parse_uri", "valid_host"]

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*\Z")
_ESCAPE_OK = re.compile(r"%(?![0-9A-Fa-f]{2})")
# unreserved / user-unreserved / escaped (§25.1); ';' '?' '/' allowed in user.
_USER = re.compile(r"[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+\Z")
_PASSWORD = re.compile(r"[A-Za-z0-9\-_.!~*'()&=+$,%]*\Z")
_HOSTNAME = re.compile(HOSTNAME + r"\Z")
_IPV6REF = re.compile(r"\[[0-9A-Fa-f:.]+\]\Z")
_PARAMCHAR = re.compile(r"[A-Za-z0-9\-_.!~*'()\[\]/:&+$%]+\Z")
_HNV = re.compile(r"[A-Za-z0-9\-_.!~*'()\[\]/?:+$%]*\Z")
_OPAQUE = re.compile(r"[^\s<>\"]+\Z")
_PCHAR = r"[A-Za-z0-9\-_.!~*'()\[\]/:&+$]++"
#: The common shape (lower-case scheme, plain user, hostname, unescaped parameters, no
#: headers) in one match; anything else takes the general path. Same result either way.
#: Four groups: scheme, user, host, port. Shared with the address fast path.
SIP_URI_BARE = rf"(sips?):(?:([A-Za-z0-9\-_.!~*'()&=+$,]++)@)?({HOST_CHARS})(?::([0-9]{{1,5}}))?"
#: Five groups: :data:`SIP_URI_BARE`'s and the parameter text.
SIP_URI_FAST = rf"{SIP_URI_BARE}((?:;{_PCHAR}(?:={_PCHAR})?)*+)"
_SIP_FAST = re.compile(SIP_URI_FAST + r"\Z")

#: characters left unescaped when rendering each URI part (§25.1).
_USER_SAFE = "-_.!~*'()&=+$,;?/"
_PARAM_SAFE = "-_.!~*'()[]/:&+$"
_HEADER_SAFE = "-_.!~*'()[]/?:+$"
_NEEDS_ESCAPE = {
    safe: re.compile("[^A-Za-z0-9" + re.escape(safe) + "]")
    for safe in (_USER_SAFE, _PARAM_SAFE, _HEADER_SAFE, "-_.!~*'()&=+$,")
}


def _unescape(text: str, what: str) -> str:
    if "%" not in text:
        return text
    if _ESCAPE_OK.search(text):
        raise ParseError(f"bad %-escape in URI {what}: {text!r}")
    return _pct_unquote(text, errors="surrogateescape")


def _escape(text: str, safe: str) -> str:
    if _NEEDS_ESCAPE[safe].search(text) is None:
        return text
    return _pct_quote(text, safe=safe, errors="surrogateescape")


@dataclass(frozen=True, slots=True)
class SipURI:
    """``sip:`` / ``sips:`` URI. ``user`` and parameter values are unescaped."""

    host: str
    user: str | None = None
    port: int | None = None
    scheme: str = "sip"
    password: str | None = None
    params: dict[str, str | None] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def secure(self) -> bool:
        return self.scheme == "sips"

    @property
    def transport(self) -> str | None:
        value = self.params.get("transport")
        return value.lower() if value else None

    @property
    def host_port(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def with_params(self, **params: str | None) -> SipURI:
        return replace(self, params={**self.params, **params})

    def without_params(self, *names: str) -> SipURI:
        return replace(self, params={k: v for k, v in self.params.items() if k not in names})

    def __str__(self) -> str:
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(_escape(self.user, _USER_SAFE))
            if self.password is not None:
                out += [":", _escape(self.password, "-_.!~*'()&=+$,")]
            out.append("@")
        out.append(self.host_port)
        for name, value in self.params.items():
            out += [";", _escape(name, _PARAM_SAFE)]
            if value is not None:
                out += ["=", _escape(value, _PARAM_SAFE)]
        if self.headers:
            out.append("?")
            out.append(
                "&".join(
                    f"{_escape(k, _HEADER_SAFE)}={_escape(v, _HEADER_SAFE)}"
                    for k, v in self.headers.items()
                )
            )
        return "".join(out)


@dataclass(frozen=True, slots=True)
class TelURI:
    """``tel:`` URI (RFC 3966): a global (``+…``) or local number with parameters."""

    number: str
    params: dict[str, str | None] = field(default_factory=dict)
    scheme: str = "tel"

    def __str__(self) -> str:
        return (
            "tel:"
            + self.number
            + "".join(f";{k}" if v is None else f";{k}={v}" for k, v in self.params.items())
        )


@dataclass(frozen=True, slots=True)
class AbsoluteURI:
    """Any other scheme, kept opaque (§25.1 absoluteURI)."""

    scheme: str
    opaque: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.opaque}"


URI = SipURI | TelURI | AbsoluteURI

_new = object.__new__
_set_host, _set_user, _set_port, _set_scheme, _set_password, _set_params, _set_headers = (
    SipURI.__dict__[name].__set__
    for name in ("host", "user", "port", "scheme", "password", "params", "headers")
)


def sip_from_groups(
    scheme: str, user: str | None, host: str, port_text: str | None, param_text: str
) -> SipURI | None:
    """The :class:`SipURI` for a :data:`SIP_URI_FAST` match; ``None`` if the port is too big
    or the host is not a hostname (the general path then gives the error).

    Built without the frozen dataclass ``__setattr__`` detour (it is the parser's hot path).
    """
    port = int(port_text) if port_text else None
    if (port is not None and port > 65535) or not plain_host_ok(host):
        return None
    params: dict[str, str | None] = {}
    if param_text:
        for chunk in param_text[1:].split(";"):
            name, eq, value = chunk.partition("=")
            params[name.lower()] = value if eq else None
    uri: SipURI = _new(SipURI)
    _set_host(uri, host)
    _set_user(uri, user)
    _set_port(uri, port)
    _set_scheme(uri, scheme)
    _set_password(uri, None)
    _set_params(uri, params)
    _set_headers(uri, {})
    return uri


def parse_uri(text: str) -> URI:
    """Parse a URI; raise :class:`ParseError` when it is not one."""
    fast = _SIP_FAST.match(text)
    if fast is not None:
        uri = sip_from_groups(*fast.groups())
        if uri is not None:
            return uri
    scheme, colon, rest = text.partition(":")
    if not colon or not _SCHEME.match(scheme):
        raise ParseError(f"not a URI: {text!r}")
    lower = scheme.lower()
    if lower in ("sip", "sips"):
        return _parse_sip(lower, rest, text)
    if lower == "tel":
        return _parse_tel(rest, text)
    if not _OPAQUE.match(rest):
        raise ParseError(f"bad characters in URI {text!r}")
    return AbsoluteURI(scheme=lower, opaque=rest)


def _parse_sip(scheme: str, rest: str, text: str) -> SipURI:
    # '@' may not appear unescaped after the userinfo, but '?' may appear inside the user.
    userinfo, at, after = rest.rpartition("@")
    hostpart, qmark, header_text = after.partition("?")
    user: str | None = None
    password: str | None = None
    if at:
        user_raw, pcolon, pw_raw = userinfo.partition(":")
        if not user_raw or not _USER.match(user_raw):
            raise ParseError(f"bad user part in {text!r}")
        user = _unescape(user_raw, "user")
        if pcolon:
            if not _PASSWORD.match(pw_raw):
                raise ParseError(f"bad password in {text!r}")
            password = _unescape(pw_raw, "password")
    hostport, _, param_text = hostpart.partition(";")
    host, port = _parse_hostport(hostport, text)
    params: dict[str, str | None] = {}
    if param_text:
        for chunk in param_text.split(";"):
            name, eq, value = chunk.partition("=")
            if not _PARAMCHAR.match(name) or (eq and not _PARAMCHAR.match(value)):
                raise ParseError(f"bad URI parameter {chunk!r} in {text!r}")
            params[_unescape(name, "parameter").lower()] = (
                _unescape(value, "parameter") if eq else None
            )
    headers: dict[str, str] = {}
    if qmark:
        for chunk in header_text.split("&"):
            name, eq, value = chunk.partition("=")
            if not name or not eq or not _HNV.match(name) or not _HNV.match(value):
                raise ParseError(f"bad URI header {chunk!r} in {text!r}")
            headers[_unescape(name, "header")] = _unescape(value, "header")
    return SipURI(
        host=host,
        user=user,
        port=port,
        scheme=scheme,
        password=password,
        params=params,
        headers=headers,
    )


def _parse_hostport(hostport: str, text: str) -> tuple[str, int | None]:
    if hostport.startswith("["):
        close = hostport.find("]")
        host, after = hostport[: close + 1], hostport[close + 1 :]
        if close < 0 or not _IPV6REF.match(host) or not _is_ipv6(host[1:-1]):
            raise ParseError(f"bad IPv6 reference in {text!r}")
        if after and not after.startswith(":"):
            raise ParseError(f"junk after host in {text!r}")
        port_text = after[1:] if after else None
    else:
        host, colon, port_text_raw = hostport.partition(":")
        port_text = port_text_raw if colon else None
        if not _HOSTNAME.match(host):
            raise ParseError(f"bad host {host!r} in {text!r}")
    if port_text is None:
        return host, None
    if not port_text.isdigit() or len(port_text) > 5 or int(port_text) > 65535:
        raise ParseError(f"bad port in {text!r}")
    return host, int(port_text)


def valid_host(host: str) -> bool:
    """``host`` is a hostname, IPv4 address or bracketed IPv6 reference (§25.1)."""
    if host.startswith("["):
        return host.endswith("]") and _IPV6REF.match(host) is not None and _is_ipv6(host[1:-1])
    return _HOSTNAME.match(host) is not None


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _parse_tel(rest: str, text: str) -> TelURI:
    number, _, param_text = rest.partition(";")
    if not number or not re.fullmatch(r"\+?[0-9A-Fa-f*#().\-]+", number):
        raise ParseError(f"bad tel number in {text!r}")
    params: dict[str, str | None] = {}
    if param_text:
        for chunk in param_text.split(";"):
            name, eq, value = chunk.partition("=")
            if not name:
                raise ParseError(f"empty tel parameter in {text!r}")
            params[name.lower()] = value if eq else None
    return TelURI(number=number, params=params)
