"""``[dns] nameservers`` entries: ``"127.0.0.1:5353"``, ``"[::1]:53"`` or a bare address (port
53, RFC 1035 §4.2)."""

from __future__ import annotations

import ipaddress

__all__ = ["nameserver_address"]


def nameserver_address(text: str) -> tuple[str, int]:
    """(address, port) of one entry; ValueError says what is wrong with it."""
    host, port = text, "53"
    if "]:" in text or text.count(":") == 1:
        host, _, port = text.rpartition(":")
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address[:port]") from None
    if not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"bad port in {text!r}")
    return host, int(port)
