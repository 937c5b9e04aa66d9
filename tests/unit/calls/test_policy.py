"""Per-number policy: matching order, defaults per route type, validation of input."""

from pathlib import Path

import pytest

from registrations.model import Registration, Route
from tas.calls.policy import (
    Action,
    PolicyError,
    decide,
    load_policy_file,
    parse_policy,
)
from tas.calls.routing import Direction, LegInfo

ALICE = "+4799990000"


def leg(route: Route, number: str = ALICE) -> LegInfo:
    return LegInfo(
        Registration(number, route, "sips:tas.example.com"), Direction.MT, "+4712345678", number, ""
    )


@pytest.mark.parametrize(
    ("route", "action"),
    [
        (Route.FALLBACK, Action.VOICEMAIL),
        (Route.LOOP, Action.FORWARD),
        (Route.LOOP_MT, Action.FORWARD),
        (Route.FORK, Action.OBSERVE),
    ],
)
def test_defaults_follow_the_route_type(route: Route, action: Action) -> None:
    decision = decide(leg(route), [])
    assert decision.action is action and decision.policy is None
    assert decision.target == "core"


def test_route_specific_policy_beats_number_wide_policy() -> None:
    wide = parse_policy({"number": ALICE, "action": "reject", "status": 603})
    specific = parse_policy({"number": ALICE, "route": "fallback", "action": "voicemail"})
    assert decide(leg(Route.FALLBACK), [wide, specific]).policy is specific
    decision = decide(leg(Route.LOOP), [wide, specific])
    assert decision.action is Action.REJECT and decision.status == 603


def test_policies_of_other_numbers_do_not_apply() -> None:
    other = parse_policy({"number": "+4700000000", "action": "reject"})
    assert decide(leg(Route.FALLBACK), [other]).action is Action.VOICEMAIL


def test_menu_maps_digits_to_actions() -> None:
    policy = parse_policy(
        {"number": ALICE, "action": "answer", "menu": {"1": "voicemail", "#": "reject"}}
    )
    assert policy.menu == {"1": Action.VOICEMAIL, "#": Action.REJECT}


def test_menu_forward_digit_is_refused_with_a_clear_message() -> None:
    raw = {"number": ALICE, "action": "answer", "menu": {"1": "voicemail", "2": "forward"}}
    with pytest.raises(PolicyError, match="a menu digit cannot forward"):
        parse_policy(raw)
    assert parse_policy(raw, stored=True).menu["2"] is Action.FORWARD  # an older row loads


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"number": "4799", "action": "reject"}, "number must be E.164"),
        ({"number": ALICE, "action": "dance"}, "action must be one of"),
        ({"number": ALICE, "action": "reject", "status": 200}, "status must be a 4xx-6xx"),
        ({"number": ALICE, "action": "forward", "target": "http://x"}, "target must be"),
        ({"number": ALICE, "action": "voicemail", "route": "sideways"}, "route must be one of"),
        ({"number": ALICE, "action": "answer", "menu": {"12": "voicemail"}}, "one DTMF digit"),
        ({"number": ALICE, "action": "answer", "colour": "red"}, "unknown policy field"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(raw: dict, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(raw)


def test_load_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        f'[[policy]]\nnumber = "{ALICE}"\nroute = "loop"\naction = "forward"\n'
        'target = "sip:pbx@127.0.0.1"\n\n'
        f'[[policy]]\nnumber = "{ALICE}"\naction = "reject"\nstatus = 480\n'
    )
    policies = load_policy_file(path)
    assert [p.action for p in policies] == [Action.FORWARD, Action.REJECT]
    assert policies[0].route is Route.LOOP and policies[0].target == "sip:pbx@127.0.0.1"


def test_load_policy_file_names_the_broken_entry(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(f'[[policy]]\nnumber = "{ALICE}"\naction = "nope"\n')
    with pytest.raises(PolicyError, match=r"policy #1: action must be one of"):
        load_policy_file(path)
    with pytest.raises(PolicyError, match="no such file"):
        load_policy_file(tmp_path / "missing.toml")


def test_early_media_is_parsed_and_bounded() -> None:
    from tas.calls.policy import PolicyError, parse_policy

    answer = parse_policy({"number": "+4799990001", "action": "answer", "early_media": True})
    assert answer.early_media
    assert not parse_policy({"number": "+4799990001", "action": "answer"}).early_media
    for bad in (
        {"action": "reject", "early_media": True},
        {"action": "answer", "early_media": "yes"},
        {"action": "answer", "early_media": True, "menu": {"1": "voicemail"}},
    ):
        with pytest.raises(PolicyError):
            parse_policy({"number": "+4799990001", **bad})
