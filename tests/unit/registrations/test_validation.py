"""Local registration rules: E.164 numbers, ``sips:`` URIs, digit prefixes, route names."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registrations.model import ROUTE_NAMES, Registration, Route
from registrations.validation import (
    NOT_SIPS,
    InvalidRegistration,
    validate_e164,
    validate_registration,
    validate_route,
    validate_sips_uri,
)


def test_valid_registration_is_normalised() -> None:
    reg = validate_registration("+4799990000", "loop-mo", "SIPS:TAS.Example.com:05061", "11", "22")
    assert reg == Registration(
        "+4799990000", Route.LOOP_MO, "sips:tas.example.com:5061", "11", "22"
    )


@pytest.mark.parametrize(
    "uri", ["sips:tas.example.com", "sips:10.0.0.1:5061", "sips:[2001:db8::1]:5061", "sips:[::1]"]
)
def test_sips_uris_accepted(uri: str) -> None:
    assert validate_sips_uri(uri) == uri


@pytest.mark.parametrize("uri", ["sip:tas.example.com", "SIP:tas.example.com:5060", "tel:+47", ""])
def test_non_sips_scheme_gets_the_operator_sentence(uri: str) -> None:
    with pytest.raises(InvalidRegistration) as err:
        validate_sips_uri(uri)
    assert str(err.value) == NOT_SIPS
    assert err.value.field == "sip_uri"


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("sips:", "is not sips:host[:port]"),
        ("sips:alice@tas.example.com", "is not sips:host[:port]"),
        ("sips:tas.example.com;transport=tls", "is not sips:host[:port]"),
        ("sips:-bad-.example.com", "is not sips:host[:port]"),
        ("sips:999.1.1.1", "is not sips:host[:port]"),
        ("sips:[not-v6]:5061", "is not sips:host[:port]"),
        ("sips:[::1]x", "is not sips:host[:port]"),
        ("sips:tas.example.com:0", "invalid port"),
        ("sips:tas.example.com:70000", "invalid port"),
        ("sips:tas.example.com:", "invalid port"),
    ],
)
def test_malformed_sips_uris_refused(uri: str, reason: str) -> None:
    with pytest.raises(InvalidRegistration, match=re.escape(reason)):
        validate_sips_uri(uri)


@pytest.mark.parametrize("number", ["+4799990000", "+12025550123", "+6831234"])
def test_e164_accepted(number: str) -> None:
    assert validate_e164(number) == number


@pytest.mark.parametrize(
    "number", ["4799990000", "+0799990000", "+47 9999 0000", "+47", "+1234567890123456"]
)
def test_non_e164_refused(number: str) -> None:
    with pytest.raises(InvalidRegistration, match="is not E.164"):
        validate_e164(number)


def test_empty_number_is_required() -> None:
    with pytest.raises(InvalidRegistration, match="phone_number is required"):
        validate_e164("")


@pytest.mark.parametrize("prefix", ["1a", "+1", " 1", "-"])
def test_prefixes_must_be_digits(prefix: str) -> None:
    with pytest.raises(InvalidRegistration, match="must be digits only") as err:
        validate_registration("+4799990000", "fork", "sips:h.example", mt_prefix=prefix)
    assert err.value.field == "mobile_terminating_prefix"


def test_routes_by_name_and_wire_number() -> None:
    assert ROUTE_NAMES == ("loop", "fork", "fallback", "loop-mo", "loop-mt", "ingress")
    assert [validate_route(n) for n in ROUTE_NAMES] == list(Route)
    assert validate_route(6) is Route.INGRESS
    for bad in (0, 7, "sideways"):
        with pytest.raises(InvalidRegistration, match="route_type must be one of loop, fork"):
            validate_route(bad)


@given(st.text(max_size=60), st.text(max_size=20), st.text(max_size=8))
def test_any_input_is_a_registration_or_an_invalid_registration(
    uri: str, number: str, prefix: str
) -> None:
    for candidate in (uri, "sips:" + uri):
        try:
            reg = validate_registration(number or "+4799990000", "loop", candidate, prefix)
        except InvalidRegistration as exc:
            assert str(exc) and "\n" not in str(exc)
        else:  # normalised output is a fixed point
            again = validate_registration(reg.phone_number, reg.route, reg.sip_uri, reg.mo_prefix)
            assert again == reg
