"""Policies kept in SQL (sqlmodel), so the CLI and `tas serve` share them.

Every write bumps the :attr:`~tas.store.changes.Topic.POLICIES` change counter in its
transaction and, once committed, publishes :class:`PoliciesWritten` on the database's
in-process feed, so the call directory (:mod:`tas.calls.directory`) serves policies from memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Field, SQLModel, col, select

from tas.calls.policy import Policy, parse_policy
from tas.store import Database
from tas.store.changes import Change, Topic, bump

__all__ = ["CallPolicyRow", "PoliciesWritten", "PolicyStore"]


@dataclass(frozen=True, slots=True)
class PoliciesWritten(Change):
    """The policies of ``number`` are now exactly ``policies`` (a committed write);
    ``number`` None: ``policies`` is the whole stored set (:meth:`PolicyStore.replace_all`)."""

    number: str | None
    policies: tuple[Policy, ...]


class CallPolicyRow(SQLModel, table=True):
    __tablename__ = "call_policy"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(index=True)
    route: str | None = None  # Route.cli_name (kebab case), None for every route
    action: str
    status: int = 486
    target: str = "core"
    announcement: str | None = None
    menu: str = "{}"  # JSON object digit -> action
    early_media: bool = False  # migration 0004


def _to_row(policy: Policy) -> CallPolicyRow:
    return CallPolicyRow(
        number=policy.number,
        route=policy.route.cli_name if policy.route else None,
        action=policy.action.value,
        status=policy.status,
        target=policy.target,
        announcement=policy.announcement,
        menu=json.dumps({digit: action.value for digit, action in policy.menu.items()}),
        early_media=policy.early_media,
    )


def _from_row(row: CallPolicyRow) -> Policy:
    raw: dict[str, object] = {
        "number": row.number,
        "action": row.action,
        "status": row.status,
        "target": row.target,
        "menu": json.loads(row.menu),
        "early_media": bool(row.early_media),
    }
    if row.route is not None:
        raw["route"] = row.route
    if row.announcement is not None:
        raw["announcement"] = row.announcement
    return parse_policy(raw, stored=True)


class PolicyStore:
    """CRUD over :class:`CallPolicyRow`; one row per (number, route)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def all(self) -> list[Policy]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(CallPolicyRow).order_by(col(CallPolicyRow.number), col(CallPolicyRow.id))
            )
            return [_from_row(row) for row in rows]

    async def for_number(self, number: str) -> list[Policy]:
        async with self.db.session() as session:
            rows = await session.exec(select(CallPolicyRow).where(CallPolicyRow.number == number))
            return [_from_row(row) for row in rows]

    async def put(self, policy: Policy) -> None:
        """Insert or replace the policy for (number, route)."""
        row = _to_row(policy)
        async with self.db.session() as session:
            existing = await session.exec(
                select(CallPolicyRow).where(
                    CallPolicyRow.number == row.number, CallPolicyRow.route == row.route
                )
            )
            for old in existing:
                await session.delete(old)
            session.add(row)
            await bump(session, Topic.POLICIES)
            await session.commit()
        await self._published(policy.number)

    async def delete(self, number: str, route: str | None = None) -> int:
        """Remove the policy for (number, route); returns how many rows went."""
        async with self.db.session() as session:
            rows = list(
                await session.exec(
                    select(CallPolicyRow).where(
                        CallPolicyRow.number == number, CallPolicyRow.route == route
                    )
                )
            )
            for row in rows:
                await session.delete(row)
            await bump(session, Topic.POLICIES)
            await session.commit()
        await self._published(number)
        return len(rows)

    async def replace_all(self, policies: Iterable[Policy]) -> None:
        """Make the stored set exactly ``policies`` (one transaction)."""
        wanted = tuple(policies)
        async with self.db.session() as session:
            for row in await session.exec(select(CallPolicyRow)):
                await session.delete(row)
            for policy in wanted:
                session.add(_to_row(policy))
            await bump(session, Topic.POLICIES)
            await session.commit()
        self.db.changes.publish(PoliciesWritten(Topic.POLICIES, None, wanted))

    async def _published(self, number: str) -> None:
        """After a committed write for ``number``: tell in-process readers its policies now.
        (Re-read from the committed rows, so the feed says what the table says.)"""
        policies = tuple(await self.for_number(number))
        self.db.changes.publish(PoliciesWritten(Topic.POLICIES, number, policies))
