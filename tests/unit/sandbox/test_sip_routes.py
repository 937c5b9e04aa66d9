"""Routing decisions of the sandbox SIP core (pure): wgtwo-api.md §3 route types and prefixes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registrations.model import Registration, Route
from tas.sandbox.routes import (
    NULL_UUID,
    Direction,
    Plan,
    Refusal,
    Strategy,
    best_failure,
    diversion_headers,
    fallback_reason,
    format_session_id,
    insert_prefix,
    parse_session_id,
    route_call,
    route_from_tas,
    strip_prefix,
)

ALICE, BOB = "+4712345678", "+4799990000"
TAS = "sips:tas.example.com:5061"


def reg(number: str, route: Route, mo: str = "11", mt: str = "22", uri: str = TAS) -> Registration:
    return Registration(number, route, uri, mo, mt)


def test_the_contract_example_prefix() -> None:
    assert insert_prefix("+47112334455", "00") == "+0047112334455"
    assert insert_prefix("+47112334455", "") == "+47112334455"
    with pytest.raises(ValueError, match="not an E.164"):
        insert_prefix("47112334455", "00")


def test_strip_prefix_only_when_it_is_exactly_the_prefixed_original() -> None:
    assert strip_prefix("+2247999", "22", "+47999") == "+47999"
    assert strip_prefix("+47999", "22", "+47999") == "+47999"
    assert strip_prefix("+2247888", "22", "+47999") == "+2247888"  # another target: kept


def test_no_registration_goes_straight_to_the_handset() -> None:
    plan = route_call(ALICE, BOB, [], [])
    assert plan == Plan(Strategy.DIRECT, ALICE, BOB)
    assert plan.owner == BOB and plan.tas_number == BOB


@pytest.mark.parametrize(
    ("route", "strategy"),
    [
        (Route.LOOP, Strategy.LOOP),
        (Route.LOOP_MT, Strategy.LOOP),
        (Route.FORK, Strategy.FORK),
        (Route.FALLBACK, Strategy.FALLBACK),
    ],
)
def test_callee_registrations_use_the_mt_prefix(route: Route, strategy: Strategy) -> None:
    plan = route_call(ALICE, BOB, [], [reg(BOB, route)])
    assert plan.strategy is strategy
    assert plan.direction is Direction.MT
    assert plan.tas_number == "+224799990000"
    assert plan.owner == BOB


@pytest.mark.parametrize("route", [Route.LOOP_MO, Route.INGRESS])
def test_callee_registrations_that_do_not_touch_incoming_calls(route: Route) -> None:
    assert route_call(ALICE, BOB, [], [reg(BOB, route)]).strategy is Strategy.DIRECT


@pytest.mark.parametrize("route", [Route.LOOP, Route.LOOP_MO])
def test_caller_loop_registrations_use_the_mo_prefix(route: Route) -> None:
    plan = route_call(ALICE, BOB, [reg(ALICE, route)], [])
    assert (plan.strategy, plan.direction) == (Strategy.LOOP, Direction.MO)
    assert plan.tas_number == "+114799990000"
    assert plan.owner == ALICE


@pytest.mark.parametrize("route", [Route.LOOP_MT, Route.FORK, Route.FALLBACK, Route.INGRESS])
def test_caller_registrations_that_do_not_touch_outgoing_calls(route: Route) -> None:
    assert route_call(ALICE, BOB, [reg(ALICE, route)], []).strategy is Strategy.DIRECT


def test_both_registered_the_caller_wins_with_the_mo_prefix() -> None:
    plan = route_call(ALICE, BOB, [reg(ALICE, Route.LOOP)], [reg(BOB, Route.FORK)])
    assert (plan.strategy, plan.direction, plan.tas_number) == (
        Strategy.LOOP,
        Direction.MO,
        "+114799990000",
    )


def test_hidden_caller_is_routed_by_the_callee_only() -> None:
    plan = route_call(None, BOB, [reg(ALICE, Route.LOOP)], [reg(BOB, Route.FALLBACK)])
    assert (plan.strategy, plan.caller, plan.owner) == (Strategy.FALLBACK, None, BOB)


def test_the_most_recently_upserted_registration_applies() -> None:
    older = reg(BOB, Route.FORK, uri="sips:old.example.com")
    newer = reg(BOB, Route.FALLBACK, uri="sips:new.example.com")
    plan = route_call(ALICE, BOB, [], [older, newer])
    assert plan.registration == newer


def test_calls_from_the_tas_need_an_ingress_registration() -> None:
    plan = route_from_tas(ALICE, BOB, [reg(BOB, Route.FORK), reg(BOB, Route.INGRESS)])
    assert isinstance(plan, Plan) and plan.strategy is Strategy.INGRESS
    refusal = route_from_tas(ALICE, BOB, [reg(BOB, Route.FORK)])
    assert refusal == Refusal(403, f"{BOB} has no INGRESS registration")


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (None, "no-answer"),
        (486, "user-busy"),
        (600, "user-busy"),
        (480, "no-answer"),
        (408, "no-answer"),
        (603, None),
        (404, None),
        (488, None),
    ],
)
def test_fallback_diverts_on_busy_and_no_answer_only(
    status: int | None, reason: str | None
) -> None:
    assert fallback_reason(status) == reason


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([486], 486),
        ([486, 503], 486),
        ([487, 503], 503),
        ([487], 487),
        ([480, 603], 603),
        ([408, 404], 404),
        ([], 480),
    ],
)
def test_best_failure(statuses: list[int], expected: int) -> None:
    assert best_failure(statuses) == expected


def test_session_id_round_trip_rfc7989() -> None:
    local = "ab" * 16
    value = format_session_id(local)
    assert value == f"{local};remote={NULL_UUID}"
    assert parse_session_id(value) == (local, NULL_UUID)
    assert parse_session_id(f"{local.upper()} ; remote={'cd' * 16}") == (local, "cd" * 16)
    assert parse_session_id(local) == (local, NULL_UUID)  # RFC 7329 form


@pytest.mark.parametrize(
    "value", [None, "", "xyz", "ab" * 15, "ab" * 17, f"{'ab' * 16};remote=zz", "g" * 32]
)
def test_malformed_session_ids_are_ignored(value: str | None) -> None:
    assert parse_session_id(value) is None


@given(st.text(max_size=80))
def test_parse_session_id_never_raises(value: str) -> None:
    parsed = parse_session_id(value)
    assert parsed is None or all(len(u) == 32 for u in parsed)


def test_diversion_headers_history_info_next_to_diversion() -> None:
    from tas.calls.diversion import DiversionSource, why_diverted
    from tas.sip.history_info import parse_history_info
    from tests.unit.calls.test_diversion import invite

    tas = "sips:+224799990000@127.0.0.1:5061"
    both = diversion_headers("user-busy", "+4799990000", "core", tas, ["diversion", "history-info"])
    assert both["Diversion"] == "<sip:+4799990000@core>;reason=user-busy;counter=1"
    entries = parse_history_info(both["History-Info"])
    assert [(e.index, e.parent, e.cause) for e in entries] == [
        ((1,), None, None),
        ((1, 1), (1,), 486),
    ]
    only = diversion_headers("no-answer", "+4799990000", "core", tas, ["history-info"])
    assert set(only) == {"History-Info"}
    # the TAS reads it back: reason and the diverted-from number
    found = why_diverted(invite(tas, f"History-Info: {only['History-Info']}"))
    assert (found.source, found.reason.value, found.diverted_from) == (
        DiversionSource.HISTORY_INFO,
        "no-answer",
        "+4799990000",
    )
