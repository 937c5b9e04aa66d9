"""Call rules kept in SQL (table ``call_rule``, migration 0008), so the CLI and `tas serve`
share them.

A number's rules are written as a whole (:meth:`RuleStore.set`: its ordered list), each row one
rule as the JSON of its ``[[rule]]`` table (:func:`~tas.calls.rules.rule_to_toml`), read back
through :func:`~tas.calls.rules.parse_rule`, so the TOML, the CLI and the table say the same.
Every write bumps the :attr:`~tas.store.changes.Topic.RULES` counter in its transaction and, once
committed, publishes :class:`RulesWritten` on the in-process feed, as the policies do
(:mod:`tas.calls.policy_store`): the call directory serves rules from memory.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Field, SQLModel, col, select

from tas.calls.rules import Rule, RuleError, parse_rule, rule_to_toml
from tas.store import Database
from tas.store.changes import Change, Topic, bump

__all__ = ["CallRuleRow", "RuleStore", "RulesWritten"]


@dataclass(frozen=True, slots=True)
class RulesWritten(Change):
    """The rules of ``number`` are now exactly ``rules`` (a committed write)."""

    number: str
    rules: tuple[Rule, ...]


class CallRuleRow(SQLModel, table=True):
    __tablename__ = "call_rule"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(index=True, max_length=16)
    position: int  # 0 first: the first matching rule wins
    body: str  # JSON of the rule's [[rule]] table


class RuleStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def all(self) -> list[Rule]:
        """Every rule, by number then position."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(CallRuleRow).order_by(col(CallRuleRow.number), col(CallRuleRow.position))
            )
            return [_from_row(row) for row in rows]

    async def for_number(self, number: str) -> list[Rule]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(CallRuleRow)
                .where(CallRuleRow.number == number)
                .order_by(col(CallRuleRow.position))
            )
            return [_from_row(row) for row in rows]

    async def set(self, number: str, rules: Sequence[Rule]) -> None:
        """Make ``number``'s rules exactly ``rules``, in this order (empty: none)."""
        if stray := [r for r in rules if r.number != number]:
            raise RuleError(f"a rule of {stray[0].number} cannot be stored under {number}")
        async with self.db.session() as session:
            for row in await session.exec(select(CallRuleRow).where(CallRuleRow.number == number)):
                await session.delete(row)
            for position, rule in enumerate(rules):
                body = json.dumps(rule_to_toml(rule), sort_keys=True)
                session.add(CallRuleRow(number=number, position=position, body=body))
            await bump(session, Topic.RULES)
            await session.commit()
        self.db.changes.publish(RulesWritten(Topic.RULES, number, tuple(rules)))

    async def delete(self, number: str) -> int:
        """Remove every rule of ``number``; returns how many went."""
        count = len(await self.for_number(number))
        await self.set(number, [])
        return count


def _from_row(row: CallRuleRow) -> Rule:
    return parse_rule(json.loads(row.body))
