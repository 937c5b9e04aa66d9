"""The next hop of a ``tas call`` (RFC 3263 §4): a numeric host is used as given; a host name
is located through NAPTR/SRV/A (:class:`~tas.dns.resolver.SipResolver`, ``[dns]`` settings) and
the first target taken; a name with no such records falls back to the system's address lookup
(``getaddrinfo``: ``/etc/hosts``), except the RFC 6761 ``*.invalid`` names, which have none.
``--transport`` limits the targets to that transport."""

from __future__ import annotations

import asyncio
import socket

from tas.config import DnsSettings
from tas.dns.resolver import SipResolver
from tas.dns.select import is_numeric, special_addresses
from tas.harness.target import Target
from tas.sip.transaction_base import Peer
from tas.sip.uri import SipURI, parse_uri

__all__ = ["next_hop"]


async def next_hop(target: Target, dns: DnsSettings, transport: str | None = None) -> Peer:
    """Where to send ``target``'s INVITE; OSError when the name cannot be resolved."""
    peer = target.peer
    if is_numeric(peer.host):
        return peer
    uri = parse_uri(target.uri)
    if isinstance(uri, SipURI):
        resolver = SipResolver(
            dns.nameservers,
            timeout=dns.timeout,
            cache_size=dns.cache_size,
            negative_ttl=dns.negative_ttl,
            ipv6=dns.ipv6,
            transports=(transport.upper(),) if transport else ("UDP", "TCP", "TLS"),
        )
        if found := await resolver.targets(uri):
            return Peer(found[0].transport, found[0].host, found[0].port)
    if special_addresses(peer.host) == ():
        raise OSError(f"{peer.host}: no such name (RFC 6761 §6.4)")
    infos = await asyncio.get_running_loop().getaddrinfo(peer.host, None, type=socket.SOCK_DGRAM)
    families = sorted(infos, key=lambda info: info[0] != socket.AF_INET)
    return Peer(peer.transport, str(families[0][4][0]), peer.port)
