"""``/api/rules/{number}``: a number's ordered call rules (:mod:`tas.calls.rules`), as
``tas rules`` edits them.

Bodies are ``[[rule]]`` tables as JSON: the FastAPI body model is
:data:`~tas.calls.rules.RuleTable` itself (the pydantic model of the one rule schema) and every
rule is then checked by :func:`~tas.calls.rules.parse_rule`, the validator of the TOML file and
the CLI, so the three agree. A rule the validator refuses is a 400 problem document whose
``field`` names the bad field (``rules[1].time_zone``, RFC 9457 §3.2 extension member).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, cast

from fastapi import APIRouter, Body, Path

from tas.admin.auth import Principal
from tas.admin.context import Ctx, Who
from tas.admin.problems import Problem
from tas.admin.routes_numbers import Number, Removed, check_number
from tas.calls.announce import read_announcement
from tas.calls.rules import HANDSET, Rule, RuleError, RuleTable, parse_rule, rule_to_toml
from tas.calls.rules_store import RuleStore

router = APIRouter(prefix="/api/rules", tags=["rules"])

Position = Annotated[int, Path(ge=1, le=1000, description="1-based: the first rule is 1")]
#: A follow-me rule on weekdays and a hidden-caller rejection (the OpenAPI example).
_EXAMPLE = [
    {"name": "hidden", "action": "reject", "hidden": True, "status": 433},
    {"name": "office", "action": "ring", "time_zone": "Europe/Oslo",
     "days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "until": "17:00",
     "steps": [{"targets": ["handset"], "timeout": 15}, {"targets": ["+4799990003"], "timeout": 10}]},
]  # fmt: skip
Rules = Annotated[list[RuleTable], Body(examples=[_EXAMPLE])]


def _store(ctx: Ctx) -> RuleStore:
    return RuleStore(ctx.need("db"))


def _tables(rules: Sequence[Rule]) -> list[RuleTable]:
    return [cast(RuleTable, rule_to_toml(rule)) for rule in rules]  # the same keys


def _parse(who: Principal, number: str, tables: Sequence[RuleTable]) -> list[Rule]:
    """``tables`` as ``number``'s rules (a table without ``number`` gets the path's); what a
    subscriber's token may not set is 403."""
    rules = []
    for index, table in enumerate(tables):
        raw = {"number": number, **table}
        try:
            rule = parse_rule(raw)
            if rule.number != number:
                raise RuleError(
                    f"a rule of {rule.number} cannot be stored under {number}", "number"
                )
            if rule.announcement:
                try:
                    read_announcement(rule.announcement)
                except ValueError as exc:
                    raise RuleError(str(exc), "announcement") from None
        except RuleError as exc:
            where = f"rules[{index}]" + (f".{exc.field}" if exc.field else "")
            raise Problem(400, "Bad rule", f"rule #{index + 1}: {exc}", field=where) from None
        if not who.is_admin:
            _subscriber_may(who, rule, index)
        rules.append(rule)
    return rules


def _subscriber_may(who: Principal, rule: Rule, index: int) -> None:
    """A subscriber's token names no server file and rings no SIP URI (numbers go through the
    core, which applies the operator's own policy to them)."""
    if rule.announcement:
        raise Problem(403, "Forbidden", "only an admin token may name an announcement file",
                      field=f"rules[{index}].announcement")  # fmt: skip
    for step_index, step in enumerate(rule.steps):
        if any(t != HANDSET and t.startswith(("sip:", "sips:")) for t in step.targets):
            raise Problem(403, "Forbidden", "only an admin token may ring a SIP URI",
                          field=f"rules[{index}].steps[{step_index}].targets")  # fmt: skip


@router.get("/{number}", response_model=list[RuleTable])
async def list_rules(ctx: Ctx, who: Who, number: Number) -> list[RuleTable]:
    """NUMBER's rules in order (the first matching one wins), as ``tas rules list --json``."""
    who.require(check_number(number))
    return _tables(await _store(ctx).for_number(number))


@router.get("/{number}/{position}", response_model=RuleTable)
async def show_rule(ctx: Ctx, who: Who, number: Number, position: Position) -> RuleTable:
    """Rule POSITION of NUMBER."""
    who.require(check_number(number))
    found = await _store(ctx).for_number(number)
    if position > len(found):
        raise Problem(404, "Not found", f"{number} has {len(found)} rule(s), no rule {position}")
    return _tables(found[position - 1 : position])[0]


@router.put("/{number}", response_model=list[RuleTable])
async def set_rules(ctx: Ctx, who: Who, number: Number, body: Rules) -> list[RuleTable]:
    """Make NUMBER's rules exactly ``body``, in this order (``[]``: none), as ``tas rules
    import`` does for each number of a file."""
    who.require(check_number(number))
    if len(body) > 100:
        raise Problem(400, "Bad rule", "at most 100 rules per number", field="rules")
    rules = _parse(who, number, body)
    await _store(ctx).set(number, rules)
    return _tables(rules)


@router.delete("/{number}", response_model=Removed)
async def delete_rules(ctx: Ctx, who: Who, number: Number) -> Removed:
    """Remove every rule of NUMBER; 404 when it had none."""
    who.require(check_number(number))
    removed = await _store(ctx).delete(number)
    if not removed:
        raise Problem(404, "Not found", f"no rules for {number}")
    return Removed(removed=removed)
