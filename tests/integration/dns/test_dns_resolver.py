"""RFC 3263 resolution (tas.dns.resolver) against a real DNS server: dnsmasq on loopback with
NAPTR, SRV and A records; the cache's TTLs on an injected clock, counted at the server."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest

from tas.dns.resolver import SipResolver
from tas.dns.select import Target
from tas.sip.uri import SipURI, parse_uri
from tests.dnsmasq import dnsmasq

pytestmark = pytest.mark.timeout(60)

RECORDS = [
    # RFC 3263 §4.1: TCP preferred over UDP by order
    "--naptr-record=voice.test,10,50,S,SIP+D2T,,_sip._tcp.voice.test",
    "--naptr-record=voice.test,20,50,S,SIP+D2U,,_sip._udp.voice.test",
    "--srv-host=_sip._tcp.voice.test,b1.voice.test,5080,10,0",
    "--srv-host=_sip._tcp.voice.test,b2.voice.test,5090,20,0",
    "--srv-host=_sip._udp.voice.test,b1.voice.test,5070,10,0",
    "--host-record=b1.voice.test,127.0.0.11",
    "--host-record=b2.voice.test,127.0.0.12",
    "--host-record=plain.test,127.0.0.13",
]


def uri(text: str) -> SipURI:
    parsed = parse_uri(text)
    assert isinstance(parsed, SipURI)
    return parsed


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_naptr_srv_a_chain(tmp_path: Path) -> None:
    with dnsmasq(tmp_path, RECORDS) as server:
        resolver = SipResolver([server.nameserver], timeout=2.0)
        targets = await resolver.targets(uri("sip:+4790000001@voice.test"))
        assert targets == [
            Target("TCP", "127.0.0.11", 5080),
            Target("TCP", "127.0.0.12", 5090),
            Target("UDP", "127.0.0.11", 5070),
        ]
        assert server.queries()[:3] == [
            "NAPTR voice.test",
            "SRV _sip._tcp.voice.test",
            "A b1.voice.test",
        ]
        # no NAPTR and no SRV for plain.test: §4.2 A record, UDP, port 5060
        assert await resolver.targets(uri("sip:bob@plain.test")) == [
            Target("UDP", "127.0.0.13", 5060)
        ]


async def test_ttl_is_honoured_then_expires(tmp_path: Path) -> None:
    clock = Clock()
    with dnsmasq(tmp_path, RECORDS, ttl=30) as server:
        resolver = SipResolver([server.nameserver], clock=clock)
        first = await resolver.targets(uri("sip:+4790000001@voice.test"))
        asked = len(server.queries())
        assert asked == resolver.queries_sent == 5  # NAPTR, 2 SRV, 2 A (b1 once, cached)
        clock.now += 29.0  # within the 30 s TTL: every answer from the cache
        assert await resolver.targets(uri("sip:+4790000001@voice.test")) == first
        assert len(server.queries()) == asked and resolver.cache.hits > 0
        clock.now += 2.0  # past it: asked again
        assert await resolver.targets(uri("sip:+4790000001@voice.test")) == first
        assert len(server.queries()) == 2 * asked


async def test_concurrent_lookups_share_one_query(tmp_path: Path) -> None:
    with dnsmasq(tmp_path, RECORDS) as server:
        resolver = SipResolver([server.nameserver])
        results = await asyncio.gather(
            *(resolver.targets(uri("sip:+4790000001@voice.test")) for _ in range(20))
        )
        assert all(r == results[0] for r in results) and len(results[0]) == 3
        assert sorted(server.queries()) == sorted(set(server.queries()))  # each asked once
        assert resolver.queries_sent == len(server.queries()) == 5


async def test_negative_answers_are_cached(tmp_path: Path) -> None:
    clock = Clock()
    with dnsmasq(tmp_path, RECORDS) as server:
        resolver = SipResolver([server.nameserver], clock=clock, negative_ttl=10.0)
        assert await resolver.targets(uri("sip:bob@nowhere.test")) == []
        asked = server.queries()
        assert asked[0] == "NAPTR nowhere.test" and "A nowhere.test" in asked  # NXDOMAIN
        assert await resolver.targets(uri("sip:bob@nowhere.test")) == []
        assert server.queries() == asked  # all negative entries hit
        clock.now += 11.0
        assert await resolver.targets(uri("sip:bob@nowhere.test")) == []
        assert len(server.queries()) == 2 * len(asked)


async def test_numeric_targets_send_no_dns_at_all() -> None:
    """A UDP socket stands as the only name server: numeric URIs never reach it, a host name
    does (the check can fail)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as fake:
        fake.bind(("127.0.0.1", 0))
        fake.setblocking(False)
        port = fake.getsockname()[1]
        resolver = SipResolver([f"127.0.0.1:{port}"], timeout=0.3)
        for text, target in [
            ("sip:+4790000001@127.0.0.1:5080", Target("UDP", "127.0.0.1", 5080)),
            ("sips:bob@127.0.0.1", Target("TLS", "127.0.0.1", 5061)),
            ("sip:bob@[::1]:5062;transport=tcp", Target("TCP", "::1", 5062)),
        ]:
            assert await resolver.targets(uri(text)) == [target]
        with pytest.raises(BlockingIOError):
            fake.recv(512)
        assert resolver.queries_sent == 0
        started = time.monotonic()
        assert await resolver.targets(uri("sip:bob@plain.test")) == []  # times out: no answer
        elapsed = time.monotonic() - started
        assert fake.recv(512)  # the name's query did arrive
        # NAPTR, three SRV, A: each given up after its own 0.3 s; timeouts are not cached
        assert resolver.queries_sent == 5 and 1.4 < elapsed < 3.0
        assert len(resolver.cache) == 0
