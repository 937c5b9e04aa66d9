"""RFC 3263 §4 target selection (tas.dns.select) fed with DNS answers directly: the NAPTR and
SRV vectors are the examples of RFC 3263 §4.1 and §4.2 (domain example.com)."""

from __future__ import annotations

import random
from collections.abc import Mapping

import pytest

from tas.dns.select import Answer, Naptr, Query, Srv, Target, order_srv, selection
from tas.sip.uri import SipURI, parse_uri

#: RFC 3263 §4.1 example NAPTR records of example.com.
NAPTR_EXAMPLE = (
    Naptr(90, 50, "s", "SIP+D2T", "_sip._tcp.example.com."),
    Naptr(100, 50, "s", "SIP+D2U", "_sip._udp.example.com."),
    Naptr(50, 50, "s", "SIPS+D2T", "_sips._tcp.example.com."),
)
#: RFC 3263 §4.2 example SRV records (here for each of the three services).
SRV_EXAMPLE = (
    Srv(0, 1, 5060, "server1.example.com."),
    Srv(0, 2, 5060, "server2.example.com."),
)
ADDRESSES = {
    Query("server1.example.com", "A"): ("192.0.2.1",),
    Query("server2.example.com", "A"): ("192.0.2.2",),
    Query("example.com", "A"): ("192.0.2.9",),
}


class FixedRng:
    """randint returns the lowest value: the first record of weight >= 0 in the running sum."""

    def randint(self, a: int, b: int) -> int:
        return a


class HighRng:
    def randint(self, a: int, b: int) -> int:
        return b


def uri(text: str) -> SipURI:
    parsed = parse_uri(text)
    assert isinstance(parsed, SipURI)
    return parsed


def drive(
    text: str,
    answers: Mapping[Query, Answer],
    *,
    rng: random.Random | FixedRng | HighRng | None = None,
    transports: tuple[str, ...] = ("UDP", "TCP", "TLS"),
    ipv6: bool = False,
) -> tuple[list[Target], list[Query]]:
    """Run a selection, answering from ``answers`` (missing: no data); (targets, queries)."""
    steps = selection(uri(text), rng or FixedRng(), transports=transports, ipv6=ipv6)
    asked: list[Query] = []
    try:
        query = next(steps)
        while True:
            asked.append(query)
            query = steps.send(answers.get(query, ()))
    except StopIteration as done:
        return done.value, asked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sip:bob@192.0.2.5", Target("UDP", "192.0.2.5", 5060)),
        ("sips:bob@192.0.2.5", Target("TLS", "192.0.2.5", 5061)),
        ("sip:bob@192.0.2.5:5080;transport=tcp", Target("TCP", "192.0.2.5", 5080)),
        ("sip:bob@[2001:db8::1]", Target("UDP", "2001:db8::1", 5060)),
        ("sips:bob@192.0.2.5;transport=tcp", Target("TLS", "192.0.2.5", 5061)),
    ],
)
def test_numeric_hosts_need_no_query(text: str, expected: Target) -> None:
    targets, asked = drive(text, {})
    assert (targets, asked) == ([expected], [])


def test_an_explicit_port_skips_naptr_and_srv() -> None:
    """§4.1: a port and no transport: UDP for sip, TLS for sips; §4.2: A record of the host."""
    targets, asked = drive("sip:bob@example.com:5070", ADDRESSES)
    assert asked == [Query("example.com", "A")]
    assert targets == [Target("UDP", "192.0.2.9", 5070)]
    targets, _ = drive("sips:bob@example.com:5071", ADDRESSES)
    assert targets == [Target("TLS", "192.0.2.9", 5071)]


def test_naptr_order_picks_sips_first_then_tcp_then_udp() -> None:
    """§4.1 example: order 50 SIPS+D2T, 90 SIP+D2T, 100 SIP+D2U; each SRV set in turn."""
    answers: dict[Query, Answer] = {Query("example.com", "NAPTR"): NAPTR_EXAMPLE, **ADDRESSES}
    for name in ("_sips._tcp", "_sip._tcp", "_sip._udp"):
        answers[Query(f"{name}.example.com", "SRV")] = SRV_EXAMPLE
    targets, asked = drive("sip:bob@example.com", answers)
    assert asked[:2] == [Query("example.com", "NAPTR"), Query("_sips._tcp.example.com", "SRV")]
    assert [t.transport for t in targets] == ["TLS", "TLS", "TCP", "TCP", "UDP", "UDP"]
    assert targets[0] == Target("TLS", "192.0.2.1", 5060)


def test_naptr_skips_transports_we_do_not_support() -> None:
    answers: dict[Query, Answer] = {Query("example.com", "NAPTR"): NAPTR_EXAMPLE, **ADDRESSES}
    answers[Query("_sip._udp.example.com", "SRV")] = SRV_EXAMPLE
    targets, asked = drive("sip:bob@example.com", answers, transports=("UDP",))
    assert Query("_sips._tcp.example.com", "SRV") not in asked
    assert {t.transport for t in targets} == {"UDP"} and len(targets) == 2


def test_sips_uses_only_sips_d2t() -> None:
    answers: dict[Query, Answer] = {Query("example.com", "NAPTR"): NAPTR_EXAMPLE, **ADDRESSES}
    answers[Query("_sips._tcp.example.com", "SRV")] = (Srv(0, 0, 5061, "server1.example.com"),)
    answers[Query("_sip._udp.example.com", "SRV")] = SRV_EXAMPLE
    targets, asked = drive("sips:bob@example.com", answers)
    assert targets == [Target("TLS", "192.0.2.1", 5061)]
    assert all(q.name != "_sip._udp.example.com" for q in asked)


def test_no_naptr_queries_srv_for_each_supported_transport() -> None:
    """§4.1: no NAPTR records: SRV for each transport we support; the found ones are used."""
    answers: dict[Query, Answer] = {
        Query("_sip._tcp.example.com", "SRV"): (Srv(0, 0, 5090, "server2.example.com"),),
        **ADDRESSES,
    }
    targets, asked = drive("sip:bob@example.com", answers)
    assert [q for q in asked if q.rdtype == "SRV"] == [
        Query("_sip._udp.example.com", "SRV"),
        Query("_sip._tcp.example.com", "SRV"),
        Query("_sips._tcp.example.com", "SRV"),
    ]
    assert targets == [Target("TCP", "192.0.2.2", 5090)]


def test_no_naptr_and_no_srv_falls_back_to_a_at_the_default_port() -> None:
    """§4.2: no SRV records: A record of the host, UDP (sip) / TLS (sips), default port."""
    targets, _ = drive("sip:bob@example.com", ADDRESSES)
    assert targets == [Target("UDP", "192.0.2.9", 5060)]
    targets, _ = drive("sips:bob@example.com", ADDRESSES)
    assert targets == [Target("TLS", "192.0.2.9", 5061)]
    targets, _ = drive("sip:bob@nowhere.example", {})
    assert targets == []


def test_an_explicit_transport_skips_naptr() -> None:
    """§4.2: transport given, no port: SRV for that transport only (_sips for TLS)."""
    answers: dict[Query, Answer] = {
        Query("_sip._tcp.example.com", "SRV"): SRV_EXAMPLE,
        Query("_sips._tcp.example.com", "SRV"): (Srv(0, 0, 5061, "server1.example.com"),),
        **ADDRESSES,
    }
    targets, asked = drive("sip:bob@example.com;transport=tcp", answers)
    assert asked[0] == Query("_sip._tcp.example.com", "SRV")
    assert {t.transport for t in targets} == {"TCP"} and len(targets) == 2
    targets, asked = drive("sip:bob@example.com;transport=tls", answers)
    assert asked[0] == Query("_sips._tcp.example.com", "SRV")
    assert targets == [Target("TLS", "192.0.2.1", 5061)]
    targets, _ = drive("sip:bob@example.com;transport=tcp", ADDRESSES)  # no SRV: A, port 5060
    assert targets == [Target("TCP", "192.0.2.9", 5060)]


def test_srv_priority_orders_targets() -> None:
    records = [
        Srv(20, 0, 5060, "c.example.com"),
        Srv(10, 5, 5060, "a.example.com"),
        Srv(10, 5, 5061, "b.example.com"),
    ]
    ordered = order_srv(records, FixedRng())
    assert [r.priority for r in ordered] == [10, 10, 20]
    assert order_srv(records, HighRng())[:2] == [records[2], records[1]]


def test_srv_weights_choose_in_proportion() -> None:
    """RFC 2782: a random number in [0, sum] inclusive against the running sum: weights 1 and 9
    put the heavy record first for 9 of the 11 numbers (seeded RNG)."""
    rng = random.Random(3263)
    records = (Srv(0, 1, 5060, "light.example.com"), Srv(0, 9, 5060, "heavy.example.com"))
    first = [order_srv(records, rng)[0].target for _ in range(4000)]
    share = first.count("heavy.example.com") / len(first)
    assert abs(share - 9 / 11) < 0.03


def test_zero_weight_records_are_first_in_the_running_sum() -> None:
    records = [Srv(0, 3, 5060, "w.example.com"), Srv(0, 0, 5060, "z.example.com")]
    assert order_srv(records, FixedRng())[0].target == "z.example.com"  # pick 0: weight 0


def test_a_dot_target_means_no_service() -> None:
    """RFC 2782: a lone "." target: the service is decidedly not available (no A fallback)."""
    answers: dict[Query, Answer] = {
        Query("_sip._udp.example.com", "SRV"): (Srv(0, 0, 0, "."),),
        **ADDRESSES,
    }
    targets, _ = drive("sip:bob@example.com;transport=udp", answers)
    assert targets == []


def test_aaaa_after_a_when_ipv6_is_on() -> None:
    answers: dict[Query, Answer] = {
        Query("example.com", "A"): ("192.0.2.9",),
        Query("example.com", "AAAA"): ("2001:db8::9",),
    }
    targets, asked = drive("sip:bob@example.com:5060", answers, ipv6=True)
    assert [t.host for t in targets] == ["192.0.2.9", "2001:db8::9"]
    _, asked = drive("sip:bob@example.com:5060", answers)
    assert asked == [Query("example.com", "A")]


def test_naptr_with_other_flags_or_services_is_ignored() -> None:
    answers: dict[Query, Answer] = {
        Query("example.com", "NAPTR"): (
            Naptr(10, 10, "u", "SIP+D2U", "_sip._udp.example.com"),
            Naptr(20, 10, "s", "SIP+D2S", "_sip._sctp.example.com"),
        ),
        **ADDRESSES,
    }
    targets, asked = drive("sip:bob@example.com", answers)
    assert Query("_sip._sctp.example.com", "SRV") not in asked
    assert targets == [Target("UDP", "192.0.2.9", 5060)]


def test_rfc6761_special_names_are_not_asked() -> None:
    targets, asked = drive("sip:bob@localhost:5080", {})
    assert (targets, asked) == ([Target("UDP", "127.0.0.1", 5080)], [])
    targets, asked = drive("sips:bob@pbx.localhost", {}, ipv6=True)
    assert targets == [Target("TLS", "127.0.0.1", 5061), Target("TLS", "::1", 5061)]
    assert asked == []
    assert drive("sip:bob@no-such-host.invalid", {}) == ([], [])


def test_naptr_without_replacement_is_skipped() -> None:
    answers: dict[Query, Answer] = {
        Query("example.com", "NAPTR"): (Naptr(10, 10, "s", "SIP+D2T", "."),),
        **ADDRESSES,
    }
    targets, asked = drive("sip:bob@example.com", answers)
    assert all(q.name for q in asked) and targets == [Target("UDP", "192.0.2.9", 5060)]
