"""URI grammar (RFC 3261 §19.1, §25.1; RFC 3966 tel; RFC 5118 IPv6 cases)."""

from __future__ import annotations

import pytest

from tas.sip.errors import ParseError
from tas.sip.headers import parse_via
from tas.sip.uri import AbsoluteURI, SipURI, TelURI, parse_uri

# --- RFC 5118 (SIP torture tests for IPv6) ---------------------------------------------------


def test_rfc5118_4_1_valid_ipv6_reference() -> None:
    uri = parse_uri("sip:[2001:db8::10]")
    assert isinstance(uri, SipURI)
    assert uri.host == "[2001:db8::10]" and uri.port is None


def test_rfc5118_4_2_ipv6_without_brackets_is_invalid() -> None:
    with pytest.raises(ParseError):
        parse_uri("sip:user@2001:db8::10")


def test_rfc5118_4_3_port_looking_group_is_part_of_the_address() -> None:
    uri = parse_uri("sip:user@[2001:db8::10:5070]")
    assert isinstance(uri, SipURI)
    assert uri.host == "[2001:db8::10:5070]" and uri.port is None


def test_rfc5118_4_4_port_after_the_reference() -> None:
    uri = parse_uri("sip:user@[2001:db8::10]:5070")
    assert isinstance(uri, SipURI)
    assert uri.host == "[2001:db8::10]" and uri.port == 5070
    assert str(uri) == "sip:user@[2001:db8::10]:5070"


@pytest.mark.parametrize("received", ["2001:db8::9:255", "[2001:db8::9:255]"])
def test_rfc5118_4_5_via_received_with_and_without_brackets(received: str) -> None:
    (via,) = parse_via(
        f"SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111;received={received}"
    )
    assert via.host == "[2001:db8::9:1]" and via.port == 6050
    assert via.received == received


def test_rfc5118_4_6_ipv4_mapped_ipv6() -> None:
    uri = parse_uri("sip:[::ffff:192.0.2.10]:19823;transport=tcp")
    assert isinstance(uri, SipURI)
    assert uri.host == "[::ffff:192.0.2.10]" and uri.port == 19823 and uri.transport == "tcp"


@pytest.mark.parametrize(
    "text", ["sip:[2001:db8:::10]", "sip:[2001:db8::10", "sip:[2001:db8::10]x", "sip:[::1]:99999"]
)
def test_bad_ipv6_references(text: str) -> None:
    with pytest.raises(ParseError):
        parse_uri(text)


def test_via_with_bad_ipv6_host() -> None:
    with pytest.raises(ParseError):
        parse_via("SIP/2.0/UDP [2001:db8:::1];branch=z9hG4bK1")


# --- SIP URIs ----------------------------------------------------------------------------------


def test_full_sip_uri_fields() -> None:
    uri = parse_uri(
        "sips:alice:secret@Example.COM:5061;transport=TLS;lr;maddr=10.0.0.1?Subject=hi&X=y"
    )
    assert isinstance(uri, SipURI)
    assert uri.scheme == "sips" and uri.secure
    assert (uri.user, uri.password, uri.host, uri.port) == ("alice", "secret", "Example.COM", 5061)
    assert uri.params == {"transport": "TLS", "lr": None, "maddr": "10.0.0.1"}
    assert uri.transport == "tls"
    assert uri.headers == {"Subject": "hi", "X": "y"}
    assert uri.host_port == "Example.COM:5061"


def test_scheme_is_case_insensitive_and_param_names_lowercase() -> None:
    uri = parse_uri("SIP:bob@host;Transport=udp;LR")
    assert isinstance(uri, SipURI)
    assert uri.scheme == "sip"
    assert uri.params == {"transport": "udp", "lr": None}


def test_escapes_decode_and_reencode() -> None:
    uri = parse_uri("sip:sips%3Auser%40example.com@example.net;p=a%20b?h=%3Cx%3E")
    assert isinstance(uri, SipURI)
    assert uri.user == "sips:user@example.com"
    assert uri.params == {"p": "a b"}
    assert uri.headers == {"h": "<x>"}
    again = parse_uri(str(uri))
    assert again == uri
    assert "%3A" in str(uri) and "%40" in str(uri) and "%20" in str(uri)


def test_user_may_hold_semicolons_and_question_marks() -> None:
    uri = parse_uri("sip:user;par=u%40example.net@example.com")
    assert isinstance(uri, SipURI)
    assert uri.user == "user;par=u@example.net" and uri.host == "example.com"


@pytest.mark.parametrize(
    "text",
    [
        "sip:",
        "sip:user@",
        "sip:us er@host",
        "sip:user@ho st",
        "sip:user@host:port",
        "sip:user@host:70000",
        "sip:%zz@host",
        "sip:host;=x",
        "sip:host?novalue",
        "sip:-bad-.example.com",
        "not a uri",
        "1abc:rest",
        "<sip:user@host>",
    ],
)
def test_bad_sip_uris(text: str) -> None:
    with pytest.raises(ParseError):
        parse_uri(text)


def test_with_and_without_params() -> None:
    uri = parse_uri("sip:a@b;lr")
    assert isinstance(uri, SipURI)
    assert str(uri.with_params(transport="tcp")) == "sip:a@b;lr;transport=tcp"
    assert str(uri.without_params("lr")) == "sip:a@b"


def test_equality_relevant_fields_are_parsed_separately() -> None:
    a = parse_uri("sip:alice@atlanta.com;transport=TCP")
    b = parse_uri("sip:alice@atlanta.com;transport=TCP")
    c = parse_uri("sip:alice@atlanta.com:5060;transport=TCP")
    assert a == b and a != c


# --- tel and other schemes -------------------------------------------------------------------


def test_tel_uri() -> None:
    uri = parse_uri("tel:+1-201-555-0123;Ext=1234;phone-context=example.com")
    assert isinstance(uri, TelURI)
    assert uri.number == "+1-201-555-0123"
    assert uri.params == {"ext": "1234", "phone-context": "example.com"}
    assert str(uri) == "tel:+1-201-555-0123;ext=1234;phone-context=example.com"


@pytest.mark.parametrize("text", ["tel:", "tel:abc xyz", "tel:+1;;x"])
def test_bad_tel(text: str) -> None:
    with pytest.raises(ParseError):
        parse_uri(text)


def test_unknown_scheme_kept_opaque() -> None:
    uri = parse_uri("soap.beep://192.0.2.103:3002")
    assert uri == AbsoluteURI(scheme="soap.beep", opaque="//192.0.2.103:3002")
    assert str(uri) == "soap.beep://192.0.2.103:3002"
    with pytest.raises(ParseError):
        parse_uri("http://a b")
