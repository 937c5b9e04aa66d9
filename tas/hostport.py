"""``host:port`` addresses of settings and options: one parser for every listen/connect address.

``[2001:db8::1]:5061`` (IPv6 in brackets, RFC 3986 §3.2.2 / RFC 3261 §19.1.1 ``hostport``),
``127.0.0.1:5060``, ``example.com:443``, or a bare host where a default port applies. SIP
messages are parsed by :mod:`tas.sip.uri` / :mod:`tas.sip.headers` under the stricter §25.1
grammar; this type is for the addresses we are configured with.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

__all__ = ["HostPort"]


@dataclass(frozen=True, slots=True)
class HostPort:
    """A host (an IPv6 literal without its brackets) and a port (None: none given)."""

    host: str
    port: int | None = None

    @classmethod
    def parse(cls, text: str, default_port: int | None = None) -> HostPort:
        """``host:port``, ``[v6]:port``, ``host`` or ``[v6]``; ``default_port`` when no port is
        written; an empty host (``:5060``) is kept empty (every address, where a caller allows
        it). ValueError saying why for a stray bracket or a bad port."""
        text = text.strip()
        if text.startswith("["):
            host, close, rest = text[1:].partition("]")
            if not close or (rest and not rest.startswith(":")):
                raise ValueError(f"expected [IPv6]:port, got {text!r}")
            port_text: str | None = rest[1:] if rest else None
        elif text.count(":") > 1:  # an IPv6 literal without brackets has no port
            host, port_text = text, None
        else:
            host, colon, after = text.partition(":")
            port_text = after if colon else None
        if "[" in host or "]" in host:
            raise ValueError(f"expected host:port, got {text!r}")
        if port_text is None:
            return cls(host, default_port)
        if not port_text.isdigit() or not port_text.isascii() or int(port_text) > 65535:
            raise ValueError(f"bad port in {text!r} (0-65535)")
        return cls(host, int(port_text))

    @property
    def is_ipv6(self) -> bool:
        return ":" in self.host

    @property
    def uri_host(self) -> str:
        """The host as written in a URI or ``host:port``: an IPv6 literal in brackets."""
        return f"[{self.host}]" if self.is_ipv6 else self.host

    @property
    def is_loopback(self) -> bool:
        """True when the host is ``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def address(self) -> tuple[str, int]:
        """``(host, port)`` for socket calls; ValueError when no port was given."""
        if self.port is None:
            raise ValueError(f"expected host:port, got {self.host!r} without a port")
        return self.host, self.port

    def with_port(self, port: int) -> HostPort:
        return HostPort(self.host, port)

    def __str__(self) -> str:
        return self.uri_host if self.port is None else f"{self.uri_host}:{self.port}"
