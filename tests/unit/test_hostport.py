"""HostPort: the one parser of configured host:port addresses (IPv6 in brackets)."""

from __future__ import annotations

import pytest

from tas.hostport import HostPort


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("127.0.0.1:5060", "127.0.0.1", 5060),
        ("[::1]:5061", "::1", 5061),
        ("[2001:db8::1]", "2001:db8::1", None),
        ("example.com", "example.com", None),
        ("example.com:0", "example.com", 0),
        (":5060", "", 5060),
        ("::1", "::1", None),  # an IPv6 literal without brackets has no port
        (" tas.example.com:443 ", "tas.example.com", 443),
    ],
)
def test_parse(text: str, host: str, port: int | None) -> None:
    assert HostPort.parse(text) == HostPort(host, port)


def test_default_port_applies_only_when_none_is_written() -> None:
    assert HostPort.parse("h", 5060) == HostPort("h", 5060)
    assert HostPort.parse("[::1]", 5061).address() == ("::1", 5061)
    assert HostPort.parse("h:7", 5060).port == 7


@pytest.mark.parametrize(
    "text", ["h:", "h:x", "h:70000", "h:-1", "[::1", "[::1]x", "[::1]:", "a]:1", "h:５"]
)
def test_bad_addresses_say_why(text: str) -> None:
    with pytest.raises(ValueError, match="port|host:port|IPv6"):
        HostPort.parse(text)


def test_text_form_brackets_ipv6_again() -> None:
    assert str(HostPort("::1", 9100)) == "[::1]:9100"
    assert str(HostPort("127.0.0.1", 5060)) == "127.0.0.1:5060"
    assert str(HostPort("example.com")) == "example.com"
    assert HostPort("::1").uri_host == "[::1]" and HostPort("::1").is_ipv6
    for text in ("[2001:db8::1]:5061", "10.0.0.1:1", "h"):
        assert str(HostPort.parse(text)) == text


def test_loopback() -> None:
    assert HostPort("127.9.9.9").is_loopback and HostPort("::1").is_loopback
    assert HostPort("localhost").is_loopback
    assert not HostPort("0.0.0.0").is_loopback and not HostPort("tas.example.com").is_loopback


def test_address_needs_a_port() -> None:
    with pytest.raises(ValueError, match="without a port"):
        HostPort("h").address()
    assert HostPort("h").with_port(5) == HostPort("h", 5)
