"""``[dns] nameservers`` entries: ``"127.0.0.1:5353"``, ``"[::1]:53"`` or a bare address (port
53, RFC 1035 §4.2)."""

from __future__ import annotations

import ipaddress

from tas.hostport import HostPort

__all__ = ["nameserver_address"]


def nameserver_address(text: str) -> tuple[str, int]:
    """(address, port) of one entry (:class:`~tas.hostport.HostPort`, port 53 by default);
    ValueError says what is wrong with it."""
    try:
        entry = HostPort.parse(text, default_port=53)
    except ValueError:
        raise ValueError(f"bad port in {text!r}") from None
    try:
        ipaddress.ip_address(entry.host)
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address[:port]") from None
    host, port = entry.address()
    if port == 0:
        raise ValueError(f"bad port in {text!r}")
    return host, port
