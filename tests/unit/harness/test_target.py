"""Where a test call goes: a number to the core, URIs and transports, the From of a call."""

from __future__ import annotations

import pytest

from tas.harness.target import is_loopback, number_of, resolve_target, sip_from

CORE = ("127.0.0.1", 5070)


def test_a_number_goes_to_the_core() -> None:
    target = resolve_target("+4799990000", CORE, None)
    assert target.uri == "sip:+4799990000@127.0.0.1:5070"
    assert (target.peer.transport, target.peer.host, target.peer.port) == ("UDP", "127.0.0.1", 5070)
    assert target.number == "+4799990000"


def test_uris_and_transports() -> None:
    tcp = resolve_target("sip:bob@10.0.0.1", CORE, "tcp")
    assert (tcp.peer.transport, tcp.peer.port, tcp.number) == ("TCP", 5060, None)
    sips = resolve_target("sips:+4712345678@127.0.0.1", CORE, None)
    assert (sips.peer.transport, sips.peer.port) == ("TLS", 5061)
    param = resolve_target("sip:a@127.0.0.1:7000;transport=tcp", CORE, None)
    assert (param.peer.transport, param.peer.port) == ("TCP", 7000)


@pytest.mark.parametrize(
    ("text", "transport", "reason"),
    [
        ("bob", None, "must be a number"),
        ("tel:+4712345678", None, "must be a number"),
        ("sip:", None, "not a valid SIP URI"),
        ("sips:a@127.0.0.1", "udp", "needs --transport tls"),
    ],
)
def test_bad_targets(text: str, transport: str | None, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        resolve_target(text, CORE, transport)


def test_numbers_and_from() -> None:
    assert number_of("sip:+4799990002@127.0.0.1") == "+4799990002"
    assert number_of("sip:alice@127.0.0.1") is None
    assert sip_from("+4799990002", "127.0.0.1") == "sip:+4799990002@127.0.0.1"
    assert sip_from("sip:alice@example.com", "127.0.0.1") == "sip:alice@example.com"
    with pytest.raises(ValueError):
        sip_from("alice", "127.0.0.1")
    assert is_loopback("127.0.0.2") and is_loopback("::1") and not is_loopback("10.1.1.1")
