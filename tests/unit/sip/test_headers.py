"""Typed header values: Via (§20.42, RFC 3581), CSeq (§20.16), name-addr/addr-spec (§20.10)."""

from __future__ import annotations

import pytest

from tas.sip.errors import ParseError
from tas.sip.headers import (
    MAGIC_COOKIE,
    Address,
    CSeq,
    Via,
    parse_address,
    parse_address_list,
    parse_cseq,
    parse_uint,
    parse_via,
)
from tas.sip.uri import SipURI, TelURI

# --- Via -------------------------------------------------------------------------------------


def test_via_fields() -> None:
    (via,) = parse_via("SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;ttl=16")
    assert via == Via("UDP", "pc33.atlanta.com", 5066, {"branch": "z9hG4bK776asdhds", "ttl": "16"})
    assert via.branch == "z9hG4bK776asdhds" and via.branch.startswith(MAGIC_COOKIE)
    assert via.sent_by == "pc33.atlanta.com:5066"
    assert str(via) == "SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;ttl=16"


def test_via_rport_and_received_rfc3581() -> None:
    (request_via,) = parse_via("SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bKabc")
    assert request_via.wants_rport and request_via.rport is None
    stamped = request_via.with_params(received="192.0.2.7", rport="40000")
    assert stamped.received == "192.0.2.7" and stamped.rport == 40000
    assert (
        str(stamped) == "SIP/2.0/UDP 10.0.0.1:5060;rport=40000;branch=z9hG4bKabc;received=192.0.2.7"
    )
    (plain,) = parse_via("SIP/2.0/TCP host;branch=z9hG4bKx")
    assert not plain.wants_rport and plain.rport is None and plain.received is None


def test_via_lws_folding_and_case() -> None:
    vias = parse_via(
        "SIP / 2.0 / tls  client.example.com : 5061 ; branch = z9hG4bKq , SIP/2.0/UDP b"
    )
    assert [(v.transport, v.host, v.port) for v in vias] == [
        ("TLS", "client.example.com", 5061),
        ("UDP", "b", None),
    ]
    assert vias[0].branch == "z9hG4bKq"


def test_via_param_names_are_case_insensitive_values_kept() -> None:
    (via,) = parse_via("SIP/2.0/UDP h;BRANCH=z9hG4bKAbC;Received=1.2.3.4")
    assert via.params == {"branch": "z9hG4bKAbC", "received": "1.2.3.4"}


def test_via_quoted_param_value() -> None:
    (via,) = parse_via('SIP/2.0/UDP h;branch=z9hG4bK1;x="a;b,c"')
    assert via.params["x"] == '"a;b,c"'


@pytest.mark.parametrize(
    "value",
    [
        "",
        "SIP/2.0 host",
        "SIP/2.0/UDP",
        "SIP/2.0/UDP host;branch=",
        "SIP/2.0/UDP host;branch",
        "SIP/2.0/UDP host;rport=x",
        "SIP/2.0/UDP host;rport=70000",
        "SIP/2.0/UDP host:99999",
        "SIP/2.0/UDP ho st",
        "SIP/2.0/UDP host;;",
        "SIP/2.0/UDP 192.0.2.15;;,;,,",
        "SIP/2.0/UDP -bad-",
    ],
)
def test_bad_via(value: str) -> None:
    with pytest.raises(ParseError):
        parse_via(value)


# --- CSeq / scalars --------------------------------------------------------------------------


def test_cseq() -> None:
    assert parse_cseq("4711 INVITE") == CSeq(4711, "INVITE")
    assert parse_cseq("  0009 \t INVITE ") == CSeq(9, "INVITE")
    assert str(CSeq(1, "BYE")) == "1 BYE"


@pytest.mark.parametrize(
    "value", ["", "1", "INVITE", "x INVITE", "1 2 3", "-1 BYE", "4294967296 A"]
)
def test_bad_cseq(value: str) -> None:
    with pytest.raises(ParseError):
        parse_cseq(value)


def test_parse_uint_limits() -> None:
    assert parse_uint(" 70 ", "Max-Forwards", 255) == 70
    with pytest.raises(ParseError):
        parse_uint("256", "Max-Forwards", 255)
    with pytest.raises(ParseError):
        parse_uint("١٢", "x")  # non-ASCII digits


# --- addresses -------------------------------------------------------------------------------


def test_name_addr_with_quoted_display_name_and_escapes() -> None:
    address = parse_address(r'"Alice \"Al\" \\ Smith" <sip:alice@atlanta.com>;tag=1928301774')
    assert address.display_name == 'Alice "Al" \\ Smith'
    assert address.tag == "1928301774"
    assert isinstance(address.uri, SipURI) and address.uri.user == "alice"
    assert str(address) == r'"Alice \"Al\" \\ Smith" <sip:alice@atlanta.com>;tag=1928301774'
    assert parse_address(str(address)) == address


def test_token_display_name_and_lws() -> None:
    address = parse_address("Bob   Smith<sip:bob@biloxi.com> ; tag = a6c85cf")
    assert address.display_name == "Bob Smith"
    assert address.params == {"tag": "a6c85cf"}


def test_addr_spec_params_belong_to_the_header() -> None:
    address = parse_address("sip:+12125551212@server.phone2net.com;tag=887s")
    assert isinstance(address.uri, SipURI) and address.uri.params == {}
    assert address.tag == "887s"
    assert parse_address("<sip:a@b;lr>;expires=60").params == {"expires": "60"}


def test_address_with_tel_uri_and_tag() -> None:
    address = parse_address("<tel:+4712345678>;tag=x")
    assert isinstance(address.uri, TelURI) and address.uri.number == "+4712345678"
    assert address.with_tag("y").tag == "y" and address.tag == "x"


def test_address_renders_quoted_when_needed() -> None:
    uri = SipURI(host="example.com", user="a")
    assert str(Address(uri, "Plain Name")) == "Plain Name <sip:a@example.com>"
    assert str(Address(uri, "Watson, Thomas")) == '"Watson, Thomas" <sip:a@example.com>'
    assert str(Address(uri)) == "<sip:a@example.com>"


@pytest.mark.parametrize(
    "value",
    [
        "",
        '"unterminated <sip:a@b>',
        '"Watson, Thomas" < sip:t.watson@example.org >',
        "Bell, Alexander <sip:a.g.bell@bell-tel.com>",
        "<sip:a@b",
        "sip:user@example.com?Route=%3Csip:x%3E",
        '"name" sip:a@b',
        "<sip:a@b> junk",
        "<sip:a@b>;=x",
    ],
)
def test_bad_addresses(value: str) -> None:
    with pytest.raises(ParseError):
        parse_address(value)


def test_address_lists_and_commas_in_quotes() -> None:
    addresses = parse_address_list('"Doe, John" <sip:j@x>;q=0.7, <sip:k@y;lr>, sip:z@w;expires=30')
    assert [a.display_name for a in addresses] == ["Doe, John", None, None]
    assert addresses[0].params == {"q": "0.7"}
    assert addresses[2].params == {"expires": "30"}
    with pytest.raises(ParseError):
        parse_address_list("<sip:a@b>,,<sip:c@d>")
