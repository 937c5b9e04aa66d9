"""RFC 3263 §4 server location (pure): from a SIP URI and DNS answers to the ordered list of
(transport, address, port) targets a request is sent to.

:func:`selection` is a generator: it yields each :class:`Query` it needs and is sent back the
records (a tuple of :class:`Naptr`, :class:`Srv` or address strings; empty for no data), then
returns the targets. It does no I/O, so the adapter (:mod:`tas.dns.resolver`) owns the network
and the cache, and the unit tests feed it answers directly.

- §4.1 transport: the URI's ``transport`` parameter; else UDP (sip) / TLS (sips) for a numeric
  host or an explicit port; else NAPTR ``SIP+D2U`` / ``SIP+D2T`` / ``SIPS+D2T`` records in
  ``order`` then ``preference`` (RFC 3403 §4.1), sips accepting only ``SIPS+D2T``; with no usable
  NAPTR, SRV queries for each supported transport; with none of those either, the default.
- §4.2 port and address: an explicit port skips SRV (A/AAAA of the host); otherwise the SRV
  records of the chosen transport, ordered by priority and weighted-random within one priority
  (RFC 2782 "Usage rules", the random source injectable); no SRV records: A/AAAA of the host at
  the transport's default port. A numeric host needs no query at all, nor do the special names
  of RFC 6761: ``localhost`` (§6.3: the loopback address) and ``*.invalid`` (§6.4: none).
- §4.3 failover walks the returned list in order (:mod:`tas.calls.failover`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from tas.sip.uri import SipURI

__all__ = [
    "Answer",
    "Naptr",
    "Query",
    "RecordType",
    "Rng",
    "Selection",
    "Srv",
    "Target",
    "is_numeric",
    "order_srv",
    "selection",
    "special_addresses",
]

RecordType = Literal["NAPTR", "SRV", "A", "AAAA"]

#: NAPTR service field -> transport (RFC 3263 §4.1; SCTP ``D2S`` is not supported here).
_NAPTR_SERVICES = {"SIP+D2U": "UDP", "SIP+D2T": "TCP", "SIPS+D2T": "TLS"}
#: SRV service prefix per transport when no NAPTR record applies (§4.1, §4.2).
_SRV_PREFIX = {"UDP": "_sip._udp", "TCP": "_sip._tcp", "TLS": "_sips._tcp"}
_DEFAULT_PORT = {"UDP": 5060, "TCP": 5060, "TLS": 5061}


@dataclass(frozen=True, slots=True)
class Query:
    """One DNS question."""

    name: str
    rdtype: RecordType


@dataclass(frozen=True, slots=True)
class Naptr:
    """A NAPTR record (RFC 3403 §4.1); SIP uses ``flags = "s"`` and ``replacement``."""

    order: int
    preference: int
    flags: str
    service: str
    replacement: str


@dataclass(frozen=True, slots=True)
class Srv:
    """An SRV record (RFC 2782)."""

    priority: int
    weight: int
    port: int
    target: str


@dataclass(frozen=True, slots=True)
class Target:
    """Where to send: a transport and a numeric address and port."""

    transport: str
    host: str
    port: int


Answer = tuple[Naptr, ...] | tuple[Srv, ...] | tuple[str, ...]
#: The generator the resolver drives: yields queries, is sent answers, returns targets.
Selection = Generator[Query, Answer, list[Target]]


class Rng(Protocol):
    """The random source of RFC 2782 weighted selection (``random.Random`` fits)."""

    def randint(self, a: int, b: int) -> int: ...


def is_numeric(host: str) -> bool:
    """An IPv4 or (bracketed) IPv6 literal: no DNS needed (§4.1)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def special_addresses(host: str, ipv6: bool = False) -> tuple[str, ...] | None:
    """RFC 6761 names never asked of DNS: ``localhost`` and ``*.localhost`` are the loopback
    address (§6.3), ``invalid`` and ``*.invalid`` have none (§6.4); None for any other name."""
    labels = _fqdn(host).split(".")
    if labels[-1] == "localhost":
        return ("127.0.0.1", "::1") if ipv6 else ("127.0.0.1",)
    if labels[-1] == "invalid":
        return ()
    return None


def _fqdn(name: str) -> str:
    return name.rstrip(".").lower()


def order_srv(records: Sequence[Srv], rng: Rng) -> list[Srv]:
    """RFC 2782 "Usage rules": ascending priority; within one priority, weighted random order
    (records of weight 0 first in the running sum, then pick the first whose running sum is at
    least a random number in ``[0, sum]``, remove it, repeat). A lone ``"."`` target means the
    service is decidedly not available: no records."""
    if len(records) == 1 and _fqdn(records[0].target) == "":
        return []
    ordered: list[Srv] = []
    for priority in sorted({r.priority for r in records}):
        pool = sorted((r for r in records if r.priority == priority), key=lambda r: r.weight != 0)
        while pool:
            total = sum(r.weight for r in pool)
            pick = rng.randint(0, total)
            running = 0
            for index, record in enumerate(pool):
                running += record.weight
                if running >= pick:
                    ordered.append(pool.pop(index))
                    break
    return [r for r in ordered if _fqdn(r.target)]


def _transport_of(uri: SipURI) -> str | None:
    """§4.1: the ``transport`` parameter, TLS for sips over TCP (RFC 3261 §26.2.2)."""
    if uri.transport is None:
        return None
    transport = uri.transport.upper()
    return "TLS" if uri.secure and transport in ("TCP", "TLS") else transport


def selection(
    uri: SipURI,
    rng: Rng,
    *,
    transports: Sequence[str] = ("UDP", "TCP", "TLS"),
    ipv6: bool = False,
) -> Selection:
    """The targets for a request to ``uri`` (§4), in the order to try them (§4.3).

    ``transports`` are the ones we can send on, in our order of preference for the no-NAPTR
    case; ``ipv6`` adds AAAA lookups after A. A transport we do not support gives no target.
    """
    host = uri.host.strip("[]")
    explicit = _transport_of(uri)
    usable = [t for t in transports if not uri.secure or t == "TLS"]
    if explicit is not None:
        usable = [t for t in usable if t == explicit]
    if not usable:
        return []
    fallback = explicit or ("TLS" if uri.secure else "UDP")
    if fallback not in usable:
        fallback = usable[0]
    if is_numeric(host):  # §4.1, §4.2: no DNS at all
        return [Target(fallback, host, uri.port or _DEFAULT_PORT[fallback])]
    if (special := special_addresses(host, ipv6)) is not None:  # RFC 6761
        return [Target(fallback, a, uri.port or _DEFAULT_PORT[fallback]) for a in special]
    if uri.port is not None:  # §4.2: a port skips NAPTR and SRV
        return [Target(fallback, a, uri.port) for a in (yield from _addresses(host, ipv6))]
    services: list[tuple[str, str]] = []  # (transport, SRV name)
    if explicit is None:  # §4.1: NAPTR, then SRV for each supported transport
        naptrs = yield Query(_fqdn(host), "NAPTR")
        services = _naptr_services(naptrs, uri.secure, usable)
        if not services:
            services = [(t, f"{_SRV_PREFIX[t]}.{_fqdn(host)}") for t in usable]
    else:  # §4.2: a transport given explicitly: SRV for that one
        services = [(explicit, f"{_SRV_PREFIX[explicit]}.{_fqdn(host)}")]
    targets: list[Target] = []
    found_srv = False
    for transport, name in services:
        records = yield Query(name, "SRV")
        srvs = [r for r in records if isinstance(r, Srv)]
        found_srv = found_srv or bool(srvs)
        for srv in order_srv(srvs, rng):
            for address in (yield from _addresses(srv.target, ipv6)):
                targets.append(Target(transport, address, srv.port))
    if found_srv:
        return targets
    # §4.2: no SRV records: A/AAAA of the host at the default port of the transport
    port = _DEFAULT_PORT[fallback]
    return [Target(fallback, a, port) for a in (yield from _addresses(host, ipv6))]


def _naptr_services(answer: Answer, secure: bool, usable: Sequence[str]) -> list[tuple[str, str]]:
    """§4.1: the SRV names of the NAPTR records for transports we support, best first (RFC 3403
    §4.1 ``order`` then ``preference``); sips takes only ``SIPS+D2T``."""
    records = sorted(
        (r for r in answer if isinstance(r, Naptr)), key=lambda r: (r.order, r.preference)
    )
    services = []
    for record in records:
        transport = _NAPTR_SERVICES.get(record.service.upper())
        if transport is None or record.flags.lower() != "s" or transport not in usable:
            continue
        if not _fqdn(record.replacement):  # "." : no replacement, nothing to look up
            continue
        if secure and transport != "TLS":
            continue
        services.append((transport, _fqdn(record.replacement)))
    return services


def _addresses(name: str, ipv6: bool) -> Generator[Query, Answer, list[str]]:
    """A (then AAAA) records of ``name`` (§4.2); a numeric SRV target stands for itself."""
    if is_numeric(name):
        return [name.strip("[]")]
    found = [a for a in (yield Query(_fqdn(name), "A")) if isinstance(a, str)]
    if ipv6:
        found += [a for a in (yield Query(_fqdn(name), "AAAA")) if isinstance(a, str)]
    return found
