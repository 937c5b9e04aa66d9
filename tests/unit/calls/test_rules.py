"""Call rules (pure): conditions, time windows on a virtual clock (boundaries, midnight, DST,
days), first match wins, no match falls back to the policy, validation of input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from registrations.model import Registration, Route
from tas.calls.policy import Action, Decision, Policy, decide
from tas.calls.routing import Direction, LegInfo
from tas.calls.rules import (
    FollowMe,
    RuleAction,
    RuleError,
    decide_with_rules,
    evaluate,
    parse_rule,
    rule_to_toml,
)

ALICE = "+4799990000"
CALLER = "+4712345678"


class VirtualClock:
    """A settable wall clock (aware UTC datetimes); no sleeping."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def leg(caller: str | None = CALLER, direction: Direction = Direction.MT) -> LegInfo:
    reg = Registration(ALICE, Route.LOOP, "sips:tas.example.com")
    return LegInfo(reg, direction, caller, ALICE, "")


def rule(**fields: Any) -> Any:
    return parse_rule({"number": ALICE, "action": "reject", **fields})


def matches(r: Any, when: datetime, caller: str | None = CALLER, hidden: bool = False) -> bool:
    return evaluate([r], leg(caller), hidden, when) is r


OFFICE = {"time_zone": "Europe/Oslo", "days": ["mon", "tue", "wed", "thu", "fri"]}


def test_office_hours_switch_exactly_at_the_boundaries() -> None:
    r = rule(**OFFICE, **{"from": "08:00", "until": "17:00"})
    # Monday 7 December 2026, Oslo is UTC+1 (CET)
    clock = VirtualClock(datetime(2026, 12, 7, 6, 59, 59, tzinfo=UTC))
    assert not matches(r, clock())  # 07:59:59 local
    assert matches(r, clock.advance(seconds=1))  # 08:00:00: inside (start included)
    clock.at = datetime(2026, 12, 7, 15, 59, 59, tzinfo=UTC)
    assert matches(r, clock())  # 16:59:59
    assert not matches(r, clock.advance(seconds=1))  # 17:00:00: outside (end excluded)


def test_days_of_the_week_in_the_rules_zone() -> None:
    r = rule(**OFFICE)  # whole days, Monday to Friday, Oslo time
    clock = VirtualClock(datetime(2026, 12, 4, 22, 59, 59, tzinfo=UTC))  # Fri 23:59:59 Oslo
    assert matches(r, clock())
    assert not matches(r, clock.advance(seconds=1))  # Sat 00:00 Oslo, still Friday in UTC
    clock.at = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)  # Mon 00:00 Oslo, Sunday in UTC
    assert matches(r, clock())


def test_a_window_past_midnight_belongs_to_the_day_it_starts() -> None:
    r = rule(time_zone="UTC", days=["fri"], **{"from": "22:00", "until": "06:00"})
    fri = datetime(2026, 12, 4, tzinfo=UTC)
    assert not matches(r, fri + timedelta(hours=21, minutes=59))
    assert matches(r, fri + timedelta(hours=22))
    assert matches(r, fri + timedelta(days=1, hours=5, minutes=59))  # Saturday morning
    assert not matches(r, fri + timedelta(days=1, hours=6))
    assert not matches(r, fri + timedelta(hours=3))  # Friday early morning: Thursday's night
    assert not matches(r, fri + timedelta(days=1, hours=22))  # Saturday evening


def test_wall_clock_times_hold_across_daylight_saving_changes() -> None:
    r = rule(time_zone="Europe/Oslo", **{"from": "08:00", "until": "09:00"})
    # winter (CET, UTC+1): 08:00 local is 07:00 UTC
    assert matches(r, datetime(2026, 3, 27, 7, 0, tzinfo=UTC))
    assert not matches(r, datetime(2026, 3, 27, 6, 30, tzinfo=UTC))
    # the clocks go forward on Sunday 29 March: 08:00 local is now 06:00 UTC
    assert matches(r, datetime(2026, 3, 30, 6, 0, tzinfo=UTC))
    assert not matches(r, datetime(2026, 3, 30, 7, 0, tzinfo=UTC))
    # the clock steps over the gap: 01:59:59 UTC+1 is followed by 03:00 UTC+2
    night = rule(time_zone="Europe/Oslo", **{"from": "02:00", "until": "03:00"})
    clock = VirtualClock(datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC))
    assert not matches(night, clock())  # 01:59:59 CET
    assert not matches(night, clock.advance(seconds=1))  # 03:00:00 CEST: 02:xx never happened


def test_caller_prefixes_and_hidden_callers() -> None:
    r = rule(callers=["+4712", "+4699"])
    now = datetime(2026, 12, 7, tzinfo=UTC)
    assert matches(r, now, caller="+4712345678")
    assert not matches(r, now, caller="+4722345678")
    assert not matches(r, now, caller=None)
    hidden = rule(hidden=True)
    assert matches(hidden, now, hidden=True) and not matches(hidden, now, hidden=False)
    shown = rule(hidden=False)
    assert matches(shown, now, hidden=False) and not matches(shown, now, hidden=True)


def test_first_matching_rule_wins_and_only_for_calls_to_the_subscriber() -> None:
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    boss = rule(callers=[CALLER], action="ring", steps=[{"targets": ["handset"], "timeout": 5}])
    rest = rule(action="dnd")
    assert evaluate([boss, rest], leg(), False, now) is boss
    assert evaluate([boss, rest], leg("+4700000000"), False, now) is rest
    assert evaluate([boss, rest], leg(direction=Direction.MO), False, now) is None
    other = parse_rule({"number": "+4711111111", "action": "dnd"})
    assert evaluate([other], leg(), False, now) is None


def test_decisions_and_the_policy_as_the_last_resort() -> None:
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    policy = Policy(ALICE, Action.ANSWER, announcement="hello.wav")
    # no rule: the policy decides, exactly as tas.calls.policy.decide does
    plain = decide_with_rules(leg(), [], [policy], hidden=False, now=now)
    assert isinstance(plain, Decision) and plain.policy is policy
    assert plain.action is Action.ANSWER
    weekend = rule(time_zone="UTC", days=["sat", "sun"], status=603)
    assert decide_with_rules(leg(), [weekend], [policy], hidden=False, now=now).action is (
        Action.ANSWER
    )
    saturday = datetime(2026, 12, 12, 12, 0, tzinfo=UTC)
    rejected = decide_with_rules(leg(), [weekend], [policy], hidden=False, now=saturday)
    assert isinstance(rejected, Decision)
    assert (rejected.action, rejected.status) == (Action.REJECT, 603)
    ring = rule(action="ring", steps=[{"targets": ["handset"], "timeout": 5}])
    plan = decide_with_rules(leg(), [ring], [], hidden=False, now=now)
    assert isinstance(plan, FollowMe) and plan.steps == ring.steps
    for action, expected in [("dnd", Action.VOICEMAIL), ("voicemail", Action.VOICEMAIL)]:
        got = decide_with_rules(leg(), [rule(action=action)], [], hidden=False, now=now)
        assert got.action is expected
    announce = decide_with_rules(
        leg(), [rule(action="announce", announcement="x.wav")], [], hidden=False, now=now
    )
    assert isinstance(announce, Decision) and announce.announcement == "x.wav"


@pytest.mark.parametrize("route", [Route.LOOP, Route.LOOP_MT, Route.FALLBACK, Route.FORK])
@pytest.mark.parametrize(
    "policies",
    [
        [],
        [Policy(ALICE, Action.REJECT, status=603)],
        [Policy(ALICE, Action.VOICEMAIL), Policy(ALICE, Action.ANSWER, route=Route.LOOP)],
    ],
)
def test_without_rules_the_decision_is_the_policys(route: Route, policies: list[Policy]) -> None:
    info = LegInfo(
        Registration(ALICE, route, "sips:tas.example.com"), Direction.MT, CALLER, ALICE, ""
    )
    now = datetime(2026, 12, 7, tzinfo=UTC)
    other = parse_rule({"number": ALICE, "action": "dnd", "callers": ["+1"]})  # never matches
    for rules in ([], [other]):
        got = decide_with_rules(info, rules, policies, hidden=False, now=now)
        assert got == decide(info, policies)


def test_follow_me_steps_parse_in_order() -> None:
    r = rule(
        action="ring",
        steps=[
            {"targets": ["handset"], "timeout": 15},
            {"targets": ["+4799990003", "sip:desk@192.0.2.1"], "timeout": 10.5},
        ],
        then="reject",
        status=480,
    )
    assert r.action is RuleAction.RING and r.then is RuleAction.REJECT and r.status == 480
    assert [(s.targets, s.timeout) for s in r.steps] == [
        (("handset",), 15.0),
        (("+4799990003", "sip:desk@192.0.2.1"), 10.5),
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "ring", "steps": [{"targets": ["handset"], "timeout": 5}], "then": "dnd"},
        {"callers": ["+47", "4712"]},
        {"hidden": "yes"},
        {"status": 200},
        {"time_zone": "Mars/Olympus"},
        {"days": ["monday"]},
        {"from": "08:00"},
        {"from": "8h", "until": "17:00"},
        {"action": "ring"},
        {"action": "ring", "steps": [{"targets": [], "timeout": 5}]},
        {"action": "ring", "steps": [{"targets": ["bob"], "timeout": 5}]},
        {"action": "ring", "steps": [{"targets": ["handset"], "timeout": 0}]},
        {"action": "ring", "steps": [{"targets": ["handset"], "wait": 5}]},
        {"steps": [{"targets": ["handset"], "timeout": 5}]},
        {"action": "forward"},
        {"colour": "red"},
    ],
)
def test_bad_rules_are_refused_with_the_field_named(fields: dict[str, Any]) -> None:
    with pytest.raises(RuleError):
        rule(**fields)


def test_bad_number_is_refused() -> None:
    with pytest.raises(RuleError, match="E.164"):
        parse_rule({"number": "12345", "action": "dnd"})


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "dnd"},
        {"action": "reject", "status": 603, "callers": ["+47"], "hidden": False},
        {
            "action": "announce",
            "announcement": "a.wav",
            **OFFICE,
            "from": "22:00",
            "until": "06:00",
        },
        {
            "action": "ring",
            "name": "follow me",
            "steps": [{"targets": ["handset"], "timeout": 5.0}],
            "then": "reject",
            "status": 480,
        },
    ],
)
def test_rule_to_toml_reads_back_to_the_same_rule(fields: dict[str, Any]) -> None:
    r = rule(**fields)
    assert parse_rule(rule_to_toml(r)) == r


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ({"number": "x", "action": "dnd"}, "number"),
        ({"number": "+4799990001", "action": "sing"}, "action"),
        ({"number": "+4799990001", "action": "dnd", "colour": 1}, "colour"),
        ({"number": "+4799990001", "action": "dnd", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"number": "+4799990001", "action": "dnd", "from": "8"}, "until"),
        ({"number": "+4799990001", "action": "dnd", "from": "8", "until": "9"}, "from"),
        ({"number": "+4799990001", "action": "ring", "steps": [{"targets": ["handset"]},
          {"targets": ["handset"], "timeout": 0}]}, "steps[1].timeout"),
        ({"number": "+4799990001", "action": "reject", "status": 200}, "status"),
    ],
)  # fmt: skip
def test_errors_name_the_field(table: dict[str, object], field: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(table)
    assert caught.value.field == field


def test_the_rule_table_schema_is_the_parsers() -> None:
    """RuleTable (the API's pydantic model) has exactly the keys parse_rule reads, refuses
    others, and every table rule_to_toml writes validates against it."""
    from pydantic import TypeAdapter, ValidationError

    from tas.calls.rules import RuleTable, rule_to_toml

    adapter = TypeAdapter(RuleTable)
    rule = parse_rule({"number": "+4799990001", "action": "ring", "days": ["sat"],
                       "steps": [{"targets": ["handset", "+4799990002"], "timeout": 5}]})  # fmt: skip
    assert parse_rule(adapter.validate_python(rule_to_toml(rule))) == rule
    with pytest.raises(ValidationError):
        adapter.validate_python({"action": "dnd", "colour": "red"})
    schema = adapter.json_schema()
    assert set(schema["properties"]) == {
        "number", "name", "action", "callers", "hidden", "time_zone", "days", "from", "until",
        "steps", "then", "status", "announcement",
    }  # fmt: skip
    assert schema["additionalProperties"] is False
