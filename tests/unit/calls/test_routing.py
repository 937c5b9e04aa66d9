"""Route decoding: MO/MT prefixes after the '+', per wgtwo-api.md §3."""

import pytest

from registrations.model import Registration, Route
from tas.calls.routing import Direction, decode_leg, dialled_of, e164_of

ALICE = "+4799990000"
BOB = "+4712345678"


def reg(number: str = ALICE, route: Route = Route.LOOP, mo: str = "", mt: str = ""):
    return Registration(number, route, "sips:tas.example.com", mo, mt)


def test_mt_prefix_is_removed_to_recover_the_callee() -> None:
    info = decode_leg("+2247" + ALICE[3:], BOB, [reg(mo="11", mt="22")])
    assert info is not None
    assert info.direction is Direction.MT
    assert info.callee == ALICE and info.caller == BOB and info.prefix == "22"


def test_mo_prefix_marks_a_call_made_by_the_subscriber() -> None:
    # The contract's own example: prefix 00 turns +47112334455 into +0047112334455.
    info = decode_leg("+0047112334455", ALICE, [reg(mo="00")])
    assert info is not None
    assert info.direction is Direction.MO
    assert info.callee == "+47112334455" and info.subscriber == ALICE


def test_mo_wins_when_caller_and_callee_are_both_ours() -> None:
    regs = [reg(ALICE, mo="11", mt="22"), reg(BOB, mo="11", mt="22")]
    info = decode_leg("+11" + BOB[1:], ALICE, regs)
    assert info is not None and info.direction is Direction.MO and info.subscriber == ALICE


def test_without_prefixes_a_registered_target_is_mt() -> None:
    info = decode_leg(ALICE, BOB, [reg(route=Route.FALLBACK)])
    assert info is not None
    assert info.direction is Direction.MT and info.route is Route.FALLBACK


def test_without_prefixes_a_registered_caller_is_mo() -> None:
    info = decode_leg(BOB, ALICE, [reg(route=Route.LOOP_MO)])
    assert info is not None and info.direction is Direction.MO and info.callee == BOB


def test_longest_prefix_wins() -> None:
    regs = [reg(ALICE, mt="11"), reg("+1" + ALICE[1:], mt="1")]
    info = decode_leg("+11" + ALICE[1:], None, regs)
    assert info is not None and info.prefix == "11" and info.callee == ALICE


def test_unrelated_numbers_are_not_ours() -> None:
    assert decode_leg(BOB, "+4700000000", [reg()]) is None
    assert decode_leg("service", ALICE, [reg()]) is None


@pytest.mark.parametrize(
    ("user", "expected"),
    [("+47 1234-5678", "+4712345678"), ("4712345678", None), ("+", None), (None, None)],
)
def test_e164_of(user: str | None, expected: str | None) -> None:
    assert e164_of(user) == expected


def test_user_parts_of_uris_and_p_asserted_identity() -> None:
    from tas.calls.routing import uri_user, user_of
    from tas.sip.uri import parse_uri

    assert uri_user(parse_uri("sip:+4799990000@core.example;user=phone")) == "+4799990000"
    assert uri_user(parse_uri("sip:service@127.0.0.1:5060")) == "service"
    assert uri_user("not a uri") is None
    assert user_of('"A" <sip:+4711112222@core.example>, <tel:+4711112222>') == "+4711112222"
    assert user_of("<tel:+4711112222>") == "+4711112222"
    assert user_of(None) is None and user_of("<garbage") is None


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("+0047112334455", "+0047112334455"),  # a prefixed number is dialled, not E.164
        ("+47 1234-5678", "+4712345678"),
        ("+" + "1" * 30, "+" + "1" * 30),  # 15 prefix digits + 15 number digits
        ("+" + "1" * 31, None),
        ("4712345678", None),
        ("+", None),
        (None, None),
    ],
)
def test_dialled_of(user: str | None, expected: str | None) -> None:
    assert dialled_of(user) == expected


def test_prefixed_numbers_are_not_e164() -> None:
    assert e164_of("+0047112334455") is None and e164_of("+47112334455") == "+47112334455"
