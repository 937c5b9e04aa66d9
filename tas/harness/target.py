"""Where a test call goes (pure): a number through the sandbox core, or a sip:/sips: URI.

``+4799990000`` becomes ``sip:+4799990000@<core host>:<core port>`` (the sandbox SIP core routes
it per registration); a URI is used as the Request-URI and its host:port (RFC 3261 §8.1.2,
no RFC 3263 DNS) is the next hop. The transport comes from ``--transport``, else the URI's
``;transport=`` parameter, else UDP; ``sips:`` means TLS (§26.2.2).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tas.sip.errors import SipError
from tas.sip.routing import target_peer
from tas.sip.transaction_base import Peer
from tas.sip.uri import SipURI, parse_uri

if TYPE_CHECKING:
    from tas.transport.stack import SipStack

__all__ = ["Target", "connect_failure", "is_loopback", "number_of", "resolve_target", "sip_from"]

_NUMBER = re.compile(r"^\+?\d{3,15}$")
TRANSPORTS = ("UDP", "TCP", "TLS")


@dataclass(frozen=True, slots=True)
class Target:
    uri: str  # the Request-URI
    peer: Peer  # next hop; ``host`` may still be a name to resolve
    number: str | None  # the called number (the mailbox for voicemail checks)


def number_of(text: str | None) -> str | None:
    """``+4799990000`` for a number or a sip URI whose user part is one; else None."""
    if text is None:
        return None
    if _NUMBER.match(text):
        return text
    try:
        uri = parse_uri(text)
    except SipError:
        return None
    if isinstance(uri, SipURI) and uri.user and _NUMBER.match(uri.user):
        return uri.user
    return None


def resolve_target(text: str, core: tuple[str, int], transport: str | None) -> Target:
    """Parse TARGET; ValueError says what is wrong with it."""
    text = text.strip()
    if transport is not None and transport.upper() not in TRANSPORTS:
        raise ValueError(f"unknown transport {transport!r} (udp, tcp or tls)")
    if _NUMBER.match(text):
        host, port = core
        text = f"sip:{text}@{_bracket(host)}:{port}"
    elif not text.lower().startswith(("sip:", "sips:")):
        raise ValueError(f"TARGET must be a number (+4799990000) or a sip:/sips: URI, not {text!r}")
    try:
        uri = parse_uri(text)
    except SipError as exc:
        raise ValueError(f"not a valid SIP URI {text!r}: {exc}") from None
    if not isinstance(uri, SipURI):
        raise ValueError(f"not a sip:/sips: URI: {text!r}")
    if uri.secure and transport is not None and transport.upper() != "TLS":
        raise ValueError("a sips: URI needs --transport tls (RFC 3261 §26.2.2)")
    peer = target_peer(uri, (transport or "UDP").upper())
    if transport is not None:
        peer = Peer(transport.upper(), peer.host, peer.port)
        if uri.port is None:
            peer = Peer(peer.transport, peer.host, 5061 if peer.transport == "TLS" else 5060)
    if peer.transport not in TRANSPORTS:
        raise ValueError(f"unsupported transport {peer.transport} (udp, tcp or tls)")
    number = uri.user if uri.user and _NUMBER.match(uri.user) else None
    return Target(text, peer, number)


def sip_from(text: str, host: str) -> str:
    """``--from``: a number or a sip URI -> the From URI."""
    if _NUMBER.match(text):
        return f"sip:{text}@{_bracket(host)}"
    try:
        uri = parse_uri(text)
    except SipError as exc:
        raise ValueError(f"--from must be a number or a sip: URI: {exc}") from None
    if not isinstance(uri, SipURI):
        raise ValueError(f"--from must be a number or a sip: URI, not {text!r}")
    return text


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def connect_failure(stack: SipStack, peer: Peer) -> str:
    """`` (connection refused)`` when the stack could not connect to ``peer`` (TCP/TLS)."""
    failed = stack.last_connect_error
    if failed is None or failed[0] != (peer.transport, peer.host, peer.port):
        return ""
    return f" ({(failed[1].strerror or str(failed[1])).lower()})"


def udp_refused(host: str, port: int, wait: float = 0.3) -> bool:
    """True when ``host:port`` answers a UDP datagram with ICMP port unreachable: a connected
    UDP socket sends one CRLF CRLF keep-alive (RFC 5626 §3.5.1, harmless to a SIP server) and
    sees the ICMP error as ConnectionRefusedError. No answer within ``wait`` seconds (a live
    server, or a silent firewall) is not a refusal. Blocking: run it in a thread."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        probe.settimeout(wait)
        try:
            probe.connect((host, port))
            probe.send(b"\r\n\r\n")
            probe.recv(2048)
        except ConnectionRefusedError:
            return True
        except OSError:
            return False
    return False
