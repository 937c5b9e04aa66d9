"""BreakoutTable: the operator's SipBreakout rules on a virtual clock (wgtwo-api.md §3)."""

from __future__ import annotations

import pytest

from registrations.model import Route
from registrations.validation import NOT_SIPS
from tas.sandbox.breakout import BreakoutNotFound, BreakoutRejected, BreakoutTable

T0 = 1_700_000_000.0
NUMBER = "+4799990000"


def test_upsert_returns_the_registration_and_its_lifetime() -> None:
    table = BreakoutTable()
    active = table.upsert(NUMBER, Route.LOOP, "sips:tas.example.com", "11", "22", now=T0)
    assert active.phone_number == NUMBER
    assert active.route is Route.LOOP
    assert active.sip_uri == "sips:tas.example.com"
    assert (active.mo_prefix, active.mt_prefix) == ("11", "22")
    assert active.expires_at == T0 + 3600
    assert active.time_to_live(T0 + 600) == 3000
    assert table.registrations_for(NUMBER, T0) == [active]


def test_route_accepts_wire_numbers_and_cli_names() -> None:
    table = BreakoutTable()
    assert table.upsert(NUMBER, 4, "sips:a.example", now=T0).route is Route.LOOP_MO
    assert table.upsert(NUMBER, "loop-mt", "sips:b.example", now=T0).route is Route.LOOP_MT


def test_registration_lapses_ttl_after_the_last_upsert() -> None:
    table = BreakoutTable()
    table.upsert(NUMBER, Route.FORK, "sips:tas.example.com", now=T0)
    assert table.next_expiry() == T0 + 3600
    refreshed = table.upsert(NUMBER, Route.FORK, "sips:tas.example.com", now=T0 + 3000)
    assert table.registrations_for(NUMBER, T0 + 3599.9) == [refreshed]
    assert table.registrations_for(NUMBER, T0 + 6599.9) == [refreshed]
    assert table.registrations_for(NUMBER, T0 + 6600) == []
    assert table.next_expiry() is None


def test_expire_reports_what_lapsed() -> None:
    table = BreakoutTable(ttl=10)
    first = table.upsert(NUMBER, Route.LOOP, "sips:a.example", now=T0)
    table.upsert(NUMBER, Route.LOOP, "sips:b.example", now=T0 + 5)
    assert table.expire(T0 + 9) == []
    assert table.expire(T0 + 10) == [first]
    assert [r.sip_uri for r in table.active(T0 + 10)] == ["sips:b.example"]


def test_upsert_replaces_the_same_number_and_uri() -> None:
    table = BreakoutTable()
    table.upsert(NUMBER, Route.LOOP, "sips:tas.example.com", "11", now=T0)
    table.upsert(NUMBER, Route.FALLBACK, "sips:tas.example.com", now=T0 + 1)
    [only] = table.registrations_for(NUMBER, T0 + 1)
    assert (only.route, only.mo_prefix) == (Route.FALLBACK, "")


def test_uri_is_normalised_so_case_variants_are_one_registration() -> None:
    table = BreakoutTable()
    table.upsert(NUMBER, Route.LOOP, "SIPS:TAS.Example.com:5061", now=T0)
    table.upsert(NUMBER, Route.LOOP, "sips:tas.example.com:5061", now=T0)
    assert [r.sip_uri for r in table.active(T0)] == ["sips:tas.example.com:5061"]


def test_several_uris_and_numbers_coexist_and_lookups_filter_them() -> None:
    table = BreakoutTable()
    loop = table.upsert(NUMBER, Route.LOOP, "sips:a.example", now=T0)
    fallback = table.upsert(NUMBER, Route.FALLBACK, "sips:b.example", now=T0)
    other = table.upsert("+4711111111", Route.LOOP, "sips:a.example", now=T0)
    assert table.registrations_for(NUMBER, T0) == [loop, fallback]
    assert table.find(NUMBER, [Route.FALLBACK, Route.FORK], T0) == [fallback]
    assert table.find("+4711111111", [Route.LOOP], T0) == [other]
    assert table.registrations_for("+4722222222", T0) == []


def test_delete_removes_by_number_and_uri() -> None:
    table = BreakoutTable()
    table.upsert(NUMBER, Route.LOOP, "sips:a.example", now=T0)
    kept = table.upsert(NUMBER, Route.LOOP, "sips:b.example", now=T0)
    removed = table.delete(NUMBER, "sips:A.example", now=T0 + 1)
    assert removed.sip_uri == "sips:a.example"
    assert table.registrations_for(NUMBER, T0 + 1) == [kept]


def test_delete_of_an_unknown_or_lapsed_registration_is_not_found() -> None:
    table = BreakoutTable(ttl=10)
    table.upsert(NUMBER, Route.LOOP, "sips:a.example", now=T0)
    with pytest.raises(
        BreakoutNotFound, match=r"^no registration of sips:b.example for \+4799990000$"
    ):
        table.delete(NUMBER, "sips:b.example", now=T0)
    with pytest.raises(BreakoutNotFound, match="no registration of sips:a.example"):
        table.delete(NUMBER, "sips:a.example", now=T0 + 10)
    with pytest.raises(BreakoutRejected) as refused:  # a bad URI is a refusal, not NOT_FOUND
        table.delete(NUMBER, "sip:a.example", now=T0)
    assert not isinstance(refused.value, BreakoutNotFound)


@pytest.mark.parametrize(
    ("number", "route", "uri", "mo", "message"),
    [
        (NUMBER, Route.LOOP, "sip:tas.example.com", "", NOT_SIPS),
        (NUMBER, Route.LOOP, "tas.example.com", "", NOT_SIPS),
        ("", Route.LOOP, "sips:tas.example.com", "", "phone_number is required"),
        ("4799990000", Route.LOOP, "sips:tas.example.com", "", "is not E.164"),
        (NUMBER, 0, "sips:tas.example.com", "", "route_type must be one of"),
        (NUMBER, 7, "sips:tas.example.com", "", "route_type must be one of"),
        (NUMBER, Route.LOOP, "sips:user@tas.example.com", "", "is not sips:host[:port]"),
        (NUMBER, Route.LOOP, "sips:tas.example.com:0", "", "invalid port"),
        (NUMBER, Route.LOOP, "sips:tas.example.com", "1a", "must be digits only"),
    ],
)
def test_rejections_carry_the_operator_message(
    number: str, route: int, uri: str, mo: str, message: str
) -> None:
    table = BreakoutTable()
    with pytest.raises(BreakoutRejected) as caught:
        table.upsert(number, route, uri, mo, now=T0)
    assert message in str(caught.value)
    assert table.active(T0) == []


def test_sip_uri_refusal_is_the_shared_wording() -> None:
    with pytest.raises(BreakoutRejected) as caught:
        BreakoutTable().upsert(NUMBER, Route.LOOP, "sip:tas.example.com", now=T0)
    assert str(caught.value) == NOT_SIPS


def test_delete_validates_its_fields_too() -> None:
    table = BreakoutTable()
    with pytest.raises(BreakoutRejected, match="phone_number is required"):
        table.delete("", "sips:a.example", now=T0)
    with pytest.raises(BreakoutRejected) as caught:
        table.delete(NUMBER, "sip:a.example", now=T0)
    assert str(caught.value) == NOT_SIPS


def test_ttl_must_be_positive() -> None:
    with pytest.raises(ValueError, match="ttl must be positive"):
        BreakoutTable(ttl=0)
