"""The asyncio side of RFC 3263 server location: drives :func:`tas.dns.select.selection` with
dnspython's ``dns.asyncresolver``, through a bounded TTL cache (:mod:`tas.dns.cache`).

A numeric host never reaches this module's network code: :meth:`SipResolver.targets` answers it
from the selection core alone, so numeric forward targets work with no name server at all.
Each query has its own time limit (``[dns] timeout``); a timeout or a server failure counts as
"no records" for that step and is not cached (RFC 2308 §7 allows a short cache; we keep none).
Concurrent identical questions share one query, so the state held is bounded by the cache size
plus the questions in flight.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence

import dns.asyncresolver
import dns.exception
import dns.message
import dns.nameserver
import dns.rdatatype
import dns.resolver

from tas.dns.address import nameserver_address
from tas.dns.cache import AnswerCache
from tas.dns.select import Answer, Naptr, Query, Rng, Srv, Target, selection
from tas.sip.uri import SipURI

__all__ = ["SipResolver"]

log = logging.getLogger(__name__)


def _nameserver(text: str) -> dns.nameserver.Nameserver:
    return dns.nameserver.Do53Nameserver(*nameserver_address(text))


def _records(answer: dns.resolver.Answer, rdtype: str) -> Answer:
    """dnspython rdata -> the selection core's plain records."""
    if rdtype == "NAPTR":
        return tuple(
            Naptr(r.order, r.preference, r.flags.decode(), r.service.decode(), str(r.replacement))
            for r in answer
        )
    if rdtype == "SRV":
        return tuple(Srv(r.priority, r.weight, r.port, str(r.target)) for r in answer)
    return tuple(r.address for r in answer)


def _negative_ttl(response: dns.message.Message | None, cap: float) -> float:
    """RFC 2308 §5: the lesser of the SOA's TTL and MINIMUM, at most ``cap``; with no SOA (a
    local server such as dnsmasq adds none) ``cap`` itself."""
    if response is not None:
        for rrset in response.authority:
            if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
                return float(min(rrset.ttl, rrset[0].minimum, cap))
    return cap


class SipResolver:
    """RFC 3263 targets of a SIP URI, with a cache shared by every call.

    ``nameservers`` empty: the system's (``/etc/resolv.conf``), read on first use only.
    """

    def __init__(
        self,
        nameservers: Sequence[str] = (),
        *,
        timeout: float = 2.0,
        cache_size: int = 1024,
        negative_ttl: float = 30.0,
        ipv6: bool = False,
        transports: Sequence[str] = ("UDP", "TCP", "TLS"),
        rng: Rng | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.nameservers = [_nameserver(n) for n in nameservers]
        self.timeout = timeout
        self.negative_ttl = negative_ttl
        self.ipv6 = ipv6
        self.transports = tuple(transports)
        self.rng: Rng = rng or random.SystemRandom()
        self.clock = clock
        self.cache = AnswerCache(cache_size)
        self.queries_sent = 0
        self._resolver: dns.asyncresolver.Resolver | None = None
        self._pending: dict[Query, asyncio.Future[Answer]] = {}  # questions on their way

    def _dns(self) -> dns.asyncresolver.Resolver:
        if self._resolver is None:
            resolver = dns.asyncresolver.Resolver(configure=not self.nameservers)
            if self.nameservers:
                resolver.nameservers = list(self.nameservers)
            resolver.cache = None  # ours: bounded, with negative entries, on our clock
            self._resolver = resolver
        return self._resolver

    async def targets(self, uri: SipURI) -> list[Target]:
        """The ordered targets for ``uri`` (RFC 3263 §4); empty when the name has none."""
        steps = selection(uri, self.rng, transports=self.transports, ipv6=self.ipv6)
        try:
            query = next(steps)
            while True:
                query = steps.send(await self.lookup(query))
        except StopIteration as done:
            targets: list[Target] = done.value
        log.debug("event=dns_targets uri=%s targets=%s", uri, targets)
        return targets

    async def lookup(self, query: Query) -> Answer:
        """One question, from the cache or the name servers; empty for no data. Callers asking
        the same question while it is on its way share its answer (one query on the wire)."""
        cached = self.cache.get(query, self.clock())
        if cached is not None:
            return cached
        pending = self._pending.get(query)
        if pending is None:
            pending = asyncio.ensure_future(self._ask(query))
            self._pending[query] = pending
            pending.add_done_callback(lambda _: self._pending.pop(query, None))
        return await asyncio.shield(pending)  # one caller cancelled: the others still get it

    async def _ask(self, query: Query) -> Answer:
        self.queries_sent += 1
        try:
            answer = await self._dns().resolve(
                query.name, query.rdtype, lifetime=self.timeout, search=False
            )
        except dns.resolver.NXDOMAIN as exc:
            responses = exc.responses()  # type: ignore[no-untyped-call]
            response = next(iter(responses.values()), None)
            self._put_negative(query, response)
            return ()
        except dns.resolver.NoAnswer as exc:
            self._put_negative(query, exc.response())  # type: ignore[no-untyped-call]
            return ()
        except dns.exception.DNSException as exc:  # timeout, no server answered, bad name
            log.info("event=dns_failed name=%s type=%s error=%s", query.name, query.rdtype, exc)
            return ()
        records = _records(answer, query.rdtype)
        ttl = answer.chaining_result.minimum_ttl  # the least TTL along a CNAME chain
        self.cache.put(query, records, ttl, self.clock())
        return records

    def _put_negative(self, query: Query, response: dns.message.Message | None) -> None:
        self.cache.put(query, (), _negative_ttl(response, self.negative_ttl), self.clock())
