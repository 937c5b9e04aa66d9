"""Call rules: per subscriber an ordered list of conditions → action (issue #16 item 3). Pure.

A rule belongs to a subscriber ``number`` and applies to the legs that terminate there (MT
legs: someone calls the subscriber). Its conditions, all optional, must all hold:

* ``callers``    caller numbers or prefixes (``+4722`` matches every ``+4722…`` caller);
* ``hidden``     true: only callers who hide their identity (RFC 3325 ``Privacy: id``),
                 false: only callers who show it;
* a time window  ``days`` (``mon`` … ``sun``), ``from`` / ``until`` (``HH:MM``, local time in
                 ``time_zone``, an IANA name; ``until`` ≤ ``from`` spans midnight and belongs
                 to the day it starts on). DST is the zone's: wall-clock times are compared.

Actions: ``ring`` (``steps``: each rings its ``targets`` at once, a parallel fork, for
``timeout`` seconds; the steps run in turn, follow-me; then ``then``: ``voicemail`` with reason
no-answer, or ``reject``), ``voicemail``, ``dnd`` (do not disturb: the phone never rings, straight to voicemail),
``reject`` (``status``), ``announce`` (``announcement`` WAV, or the default). A ring target is
``handset`` (the subscriber's own phone, through the core), an E.164 number (through the core)
or a ``sip:``/``sips:`` URI.

The first matching rule wins (:func:`evaluate`); when none matches, the per-number policy
decides as before (:func:`~tas.calls.policy.decide`): a policy is the simplest rule, one
action and no condition, below every rule.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict  # pydantic reads typing's TypedDict from 3.12 only

from registrations.model import Direction
from tas.calls.policy import Action, Decision, Policy, decide
from tas.calls.routing import LegInfo, e164_of

__all__ = [
    "DAYS",
    "HANDSET",
    "Condition",
    "FollowMe",
    "RingStep",
    "Rule",
    "RuleAction",
    "RuleError",
    "RuleTable",
    "StepTable",
    "TimeWindow",
    "decide_with_rules",
    "evaluate",
    "parse_rule",
    "rule_to_toml",
]

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[str, ...] = get_args(Day)  # datetime.weekday() order
HANDSET = "handset"  # a ring target: the subscriber's own phone, through the core
_ALL_DAYS = frozenset(range(7))


class RuleError(ValueError):
    """A rule that cannot be applied; the message is meant for the user. ``field`` names the
    ``[[rule]]`` field at fault (``steps[1].timeout``: 0-based step), when one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class RuleAction(enum.StrEnum):
    RING = "ring"
    VOICEMAIL = "voicemail"
    DND = "dnd"
    REJECT = "reject"
    ANNOUNCE = "announce"


@with_config(ConfigDict(extra="forbid"))
class StepTable(TypedDict, total=False):
    """One ``[[rule.steps]]`` table: ``targets`` rung at once for ``timeout`` seconds."""

    targets: list[str]  # handset, an E.164 number, or a sip:/sips: URI
    timeout: float  # 0-300, default 20


#: The ``[[rule]]`` table: the one schema of a rule as the TOML file, ``tas rules`` and the admin
#: API (a pydantic model of this TypedDict) give it; :func:`parse_rule` checks the values.
#: Functional syntax: ``from`` is a Python keyword.
RuleTable = TypedDict(
    "RuleTable",
    {
        "number": str,  # E.164
        "name": str,
        "action": RuleAction,
        "callers": list[str],  # numbers or prefixes
        "hidden": bool,
        "time_zone": str,  # IANA
        "days": list[Day],
        "from": str,  # HH:MM
        "until": str,  # HH:MM
        "steps": list[StepTable],
        "then": RuleAction,  # voicemail | reject
        "status": int,  # 400-699
        "announcement": str,  # a WAV file on the server
    },
    total=False,
)
with_config(ConfigDict(extra="forbid"))(RuleTable)  # pydantic: no unknown field


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Days of the week and a wall-clock interval in ``zone``; see the module docstring."""

    zone: str = "UTC"
    days: frozenset[int] = _ALL_DAYS  # 0 = Monday
    start: time = time(0, 0)
    end: time = time(0, 0)  # end <= start: until the next day's ``end`` (00:00: midnight)

    def contains(self, now: datetime) -> bool:
        """Is the aware datetime ``now`` inside the window?"""
        local = now.astimezone(ZoneInfo(self.zone))
        clock, day = local.time().replace(tzinfo=None), local.weekday()
        if self.start < self.end:
            return day in self.days and self.start <= clock < self.end
        yesterday = (day - 1) % 7
        return (day in self.days and clock >= self.start) or (
            yesterday in self.days and clock < self.end
        )


@dataclass(frozen=True, slots=True)
class Condition:
    callers: tuple[str, ...] = ()  # numbers or prefixes; empty: any caller
    hidden: bool | None = None
    window: TimeWindow | None = None

    def matches(self, caller: str | None, hidden: bool, now: datetime) -> bool:
        if self.hidden is not None and self.hidden != hidden:
            return False
        if self.callers and (caller is None or not caller.startswith(self.callers)):
            return False
        return self.window is None or self.window.contains(now)


@dataclass(frozen=True, slots=True)
class RingStep:
    targets: tuple[str, ...]  # rung at once (parallel fork)
    timeout: float  # seconds before the step's legs are cancelled


@dataclass(frozen=True, slots=True)
class Rule:
    number: str
    action: RuleAction
    condition: Condition = field(default_factory=Condition)
    name: str = ""
    steps: tuple[RingStep, ...] = ()  # ring
    then: RuleAction = RuleAction.VOICEMAIL  # ring: after the last step (voicemail | reject)
    status: int = 486  # reject (and ring's then = reject: 480 is the usual choice)
    announcement: str | None = None  # announce


@dataclass(frozen=True, slots=True)
class FollowMe:
    """A ring rule to run (:mod:`tas.calls.rules_follow`): ``steps`` in turn, then ``then``."""

    rule: Rule
    leg: LegInfo
    action: Action = Action.FORWARD  # what the call record says

    @property
    def steps(self) -> tuple[RingStep, ...]:
        return self.rule.steps


def evaluate(rules: Iterable[Rule], leg: LegInfo, hidden: bool, now: datetime) -> Rule | None:
    """The first rule of the leg's subscriber whose conditions hold; None for other legs
    (MO: the subscriber calls out) or when none matches."""
    if leg.direction is not Direction.MT:
        return None
    for rule in rules:
        if rule.number == leg.subscriber and rule.condition.matches(leg.caller, hidden, now):
            return rule
    return None


def decide_with_rules(
    leg: LegInfo,
    rules: Iterable[Rule],
    policies: Iterable[Policy],
    *,
    hidden: bool,
    now: datetime,
) -> Decision | FollowMe:
    """What the call application does with ``leg``: the first matching rule, else the policy."""
    rule = evaluate(rules, leg, hidden, now)
    if rule is None:
        return decide(leg, policies)
    if rule.action is RuleAction.RING:
        return FollowMe(rule, leg)
    if rule.action is RuleAction.REJECT:
        return Decision(Action.REJECT, leg, None, status=rule.status)
    if rule.action is RuleAction.ANNOUNCE:
        return Decision(Action.ANSWER, leg, None, announcement=rule.announcement)
    return Decision(Action.VOICEMAIL, leg, None)  # voicemail, dnd


# -- TOML / CLI input -------------------------------------------------------------------------

_KNOWN = frozenset(RuleTable.__annotations__)


def parse_rule(raw: Mapping[str, Any]) -> Rule:
    """Validate one ``[[rule]]`` table; errors name the offending field."""
    if unknown := set(raw) - _KNOWN:
        raise RuleError(f"unknown rule field(s): {', '.join(sorted(unknown))}", min(unknown))
    number = e164_of(str(raw.get("number", "")))
    if number is None:
        raise RuleError(
            f"number must be E.164 like +4799990000, got {raw.get('number')!r}", "number"
        )
    action = _rule_action(raw.get("action"), "action")
    callers = raw.get("callers", [])
    if not isinstance(callers, list) or not all(_is_prefix(c) for c in callers):
        raise RuleError(
            f"callers must be a list of numbers or prefixes like +4722, got {callers!r}",
            "callers",
        )
    hidden = raw.get("hidden")
    if hidden is not None and not isinstance(hidden, bool):
        raise RuleError(f"hidden must be true or false, got {hidden!r}", "hidden")
    status = raw.get("status", 486)
    if not isinstance(status, int) or not 400 <= status <= 699:
        raise RuleError(f"status must be a 4xx-6xx SIP status, got {status!r}", "status")
    then = _rule_action(raw.get("then", "voicemail"), "then")
    if then not in (RuleAction.VOICEMAIL, RuleAction.REJECT):
        raise RuleError(f"then must be voicemail or reject, got {then.value!r}", "then")
    steps = tuple(_step(s, i) for i, s in enumerate(raw.get("steps") or [], 1))
    if action is RuleAction.RING and not steps:
        raise RuleError("action ring needs at least one [[rule.steps]] with targets", "steps")
    if action is not RuleAction.RING and steps:
        raise RuleError("steps apply to action ring only", "steps")
    announcement = raw.get("announcement")
    return Rule(
        number=number,
        action=action,
        condition=Condition(tuple(callers), hidden, _window(raw)),
        name=str(raw.get("name", "")),
        steps=steps,
        then=then,
        status=status,
        announcement=str(announcement) if announcement is not None else None,
    )


def rule_to_toml(rule: Rule) -> dict[str, Any]:
    """The ``[[rule]]`` table :func:`parse_rule` reads back to ``rule``."""
    out: dict[str, Any] = {"number": rule.number}
    if rule.name:
        out["name"] = rule.name
    out["action"] = rule.action.value
    cond = rule.condition
    if cond.callers:
        out["callers"] = list(cond.callers)
    if cond.hidden is not None:
        out["hidden"] = cond.hidden
    if (w := cond.window) is not None:
        out["time_zone"] = w.zone
        if w.days != _ALL_DAYS:
            out["days"] = [DAYS[d] for d in sorted(w.days)]
        if w.start != w.end:
            out["from"], out["until"] = w.start.strftime("%H:%M"), w.end.strftime("%H:%M")
    if rule.action is RuleAction.RING:
        out["steps"] = [{"targets": list(s.targets), "timeout": s.timeout} for s in rule.steps]
        out["then"] = rule.then.value
    if rule.action is RuleAction.REJECT or rule.then is RuleAction.REJECT:
        out["status"] = rule.status
    if rule.announcement is not None:
        out["announcement"] = rule.announcement
    return out


def _rule_action(value: object, name: str) -> RuleAction:
    try:
        return RuleAction(str(value).lower())
    except ValueError:
        names = ", ".join(a.value for a in RuleAction)
        raise RuleError(f"{name} must be one of {names}, got {value!r}", name) from None


def _is_prefix(value: object) -> bool:
    return isinstance(value, str) and len(value) >= 2 and value[0] == "+" and value[1:].isdigit()


def _step(raw: object, index: int) -> RingStep:
    if not isinstance(raw, Mapping) or set(raw) - {"targets", "timeout"}:
        raise RuleError(f"steps #{index}: a table with targets and timeout", f"steps[{index - 1}]")
    targets = raw.get("targets")
    if not isinstance(targets, list) or not targets:
        raise RuleError(
            f"steps #{index}: targets must be a non-empty list", f"steps[{index - 1}].targets"
        )
    for target in targets:
        if not _valid_target(target):
            raise RuleError(
                f"steps #{index}: target must be 'handset', an E.164 number or a sip:/sips: "
                f"URI, got {target!r}",
                f"steps[{index - 1}].targets",
            )
    timeout = raw.get("timeout", 20)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 300:
        raise RuleError(
            f"steps #{index}: timeout must be 0-300 seconds, got {timeout!r}",
            f"steps[{index - 1}].timeout",
        )
    return RingStep(tuple(str(t) for t in targets), float(timeout))


def _valid_target(target: object) -> bool:
    if not isinstance(target, str):
        return False
    return target == HANDSET or e164_of(target) is not None or target.startswith(("sip:", "sips:"))


def _window(raw: Mapping[str, Any]) -> TimeWindow | None:
    if not {"time_zone", "days", "from", "until"} & set(raw):
        return None
    zone = str(raw.get("time_zone", "UTC"))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuleError(
            f"time_zone must be an IANA zone like Europe/Oslo, got {zone!r}", "time_zone"
        ) from None
    days_raw = raw.get("days", list(DAYS))
    if not isinstance(days_raw, list) or not all(str(d).lower() in DAYS for d in days_raw):
        raise RuleError(f"days must be a list of {', '.join(DAYS)}, got {days_raw!r}", "days")
    if ("from" in raw) != ("until" in raw):
        raise RuleError("from and until go together", "from" if "from" not in raw else "until")
    start, end = (
        _clock(raw.get("from", "00:00"), "from"),
        _clock(raw.get("until", "00:00"), "until"),
    )
    return TimeWindow(zone, frozenset(DAYS.index(str(d).lower()) for d in days_raw), start, end)


def _clock(value: object, name: str) -> time:
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise RuleError(f"{name} must be HH:MM, got {value!r}", name) from None
