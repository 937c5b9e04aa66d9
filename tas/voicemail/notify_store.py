"""The outbox and per-mailbox notification settings in SQL (adapter of
:mod:`tas.voicemail.notify_outbox`).

:func:`enqueue` runs inside the transaction that inserts a message's row
(:meth:`tas.voicemail.store.VoicemailStore.commit`). :meth:`OutboxStore.claim_due` and
:meth:`OutboxStore.record` apply the pure transitions with a compare-and-set ``UPDATE`` (on
``id``, ``state``, ``attempts`` and the lease), so two workers never hold one entry and a worker
whose lease expired cannot overwrite the result of the one that took over.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tas.config import NotifySettings
from tas.logs import log_event
from tas.store.db import Database
from tas.voicemail.models import utc
from tas.voicemail.notify_models import Channel, MailboxNotify, OutboxRow, OutboxState
from tas.voicemail.notify_outbox import Entry, claim

__all__ = ["MailboxOverride", "OutboxStore", "enqueue", "plan"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MailboxOverride:
    """A mailbox's own settings; ``None`` keeps ``[voicemail.notify]``'s."""

    channels: tuple[Channel, ...] | None = None
    email_to: str | None = None
    webhook_url: str | None = None


def plan(
    mailbox: str, settings: NotifySettings, override: MailboxOverride | None
) -> list[tuple[Channel, str]]:
    """Which channels notify a new message in ``mailbox``, and where: SMS to the mailbox's
    own number, e-mail to the mailbox's (else the global) address, the webhook at the
    mailbox's (else the global) URL. A channel with no address is left out (logged)."""
    override = override or MailboxOverride()
    channels = (
        override.channels
        if override.channels is not None
        else tuple(Channel(c) for c in settings.channels)
    )
    targets = {
        Channel.SMS: mailbox,
        Channel.EMAIL: override.email_to or settings.email_to,
        Channel.WEBHOOK: override.webhook_url or settings.webhook_url,
    }
    out = []
    for channel in channels:
        if targets[channel]:
            out.append((channel, targets[channel]))
        else:
            log_event(
                log,
                "notify_unaddressed",
                level=logging.WARNING,
                mailbox=mailbox,
                channel=channel.value,
            )
    return out


async def enqueue(
    session: AsyncSession,
    voicemail_id: str,
    mailbox: str,
    settings: NotifySettings,
    now: datetime,
    *,
    held: frozenset[Channel] = frozenset(),
    held_until: datetime | None = None,
) -> int:
    """Add the outbox rows of a new message to ``session``'s transaction; returns how many.
    The ``held`` channels are first due at ``held_until`` (they wait for the transcript,
    :mod:`tas.voicemail.commit_rows`), the others at once."""
    row = await session.get(MailboxNotify, mailbox)
    planned = plan(mailbox, settings, _override(row))
    for channel, target in planned:
        due = held_until if held_until is not None and channel in held else now
        session.add(
            OutboxRow(
                voicemail_id=voicemail_id,
                mailbox=mailbox,
                channel=channel.value,
                target=target,
                state=OutboxState.PENDING.value,
                attempts=0,
                next_attempt=due,
                created=now,
            )
        )
    return len(planned)


class OutboxStore:
    """Claim due entries, record results, read entries and mailbox settings."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim_due(
        self, owner: str, now: datetime, lease: timedelta, limit: int = 20
    ) -> list[Entry]:
        """Lease up to ``limit`` due entries to ``owner`` (oldest due first)."""
        query = (
            select(OutboxRow)
            .where(
                OutboxRow.state == OutboxState.PENDING.value,
                col(OutboxRow.next_attempt) <= now,
                or_(col(OutboxRow.lease_until).is_(None), col(OutboxRow.lease_until) <= now),
            )
            .order_by(col(OutboxRow.next_attempt), col(OutboxRow.id))
            .limit(limit)
        )
        claimed: list[Entry] = []
        async with self.db.session() as session:
            for row in (await session.exec(query)).all():
                before = entry_of(row)
                after = claim(before, owner, now, lease)
                if await self._swap(session, before, after):
                    claimed.append(after)
            await session.commit()
        return claimed

    async def record(self, before: Entry, after: Entry) -> bool:
        """Write ``after`` (sent / failed / retry) if ``before`` still holds; False when this
        worker's lease was lost meanwhile (someone else owns the entry now)."""
        async with self.db.session() as session:
            done = await self._swap(session, before, after)
            await session.commit()
        if not done:
            log_event(
                log,
                "notify_lease_lost",
                level=logging.WARNING,
                id=before.id,
                owner=before.lease_owner,
            )
        return done

    async def entries(self, voicemail_id: str | None = None) -> list[Entry]:
        query = select(OutboxRow).order_by(col(OutboxRow.id))
        if voicemail_id is not None:
            query = query.where(OutboxRow.voicemail_id == voicemail_id)
        async with self.db.session() as session:
            return [entry_of(row) for row in (await session.exec(query)).all()]

    async def mailbox(self, mailbox: str) -> MailboxOverride | None:
        async with self.db.session() as session:
            return _override(await session.get(MailboxNotify, mailbox))

    async def set_mailbox(self, mailbox: str, override: MailboxOverride | None) -> None:
        """Set (or with ``None`` drop) one mailbox's own settings."""
        async with self.db.session() as session:
            row = await session.get(MailboxNotify, mailbox)
            if override is None:
                if row is not None:
                    await session.delete(row)
            else:
                row = row or MailboxNotify(mailbox=mailbox)
                channels = override.channels
                row.channels = None if channels is None else ",".join(c.value for c in channels)
                row.email_to = override.email_to
                row.webhook_url = override.webhook_url
                session.add(row)
            await session.commit()

    @staticmethod
    async def _swap(session: AsyncSession, before: Entry, after: Entry) -> bool:
        statement = (
            update(OutboxRow)
            .where(
                col(OutboxRow.id) == before.id,
                col(OutboxRow.state) == before.state.value,
                col(OutboxRow.attempts) == before.attempts,
                _same(col(OutboxRow.lease_owner), before.lease_owner),
            )
            .values(
                state=after.state.value,
                attempts=after.attempts,
                next_attempt=after.next_attempt,
                lease_owner=after.lease_owner,
                lease_until=after.lease_until,
                last_error=after.last_error,
                finished=after.finished,
            )
        )
        result = await session.exec(statement)
        return bool(result.rowcount == 1)


def _same(column: Any, value: str | None) -> Any:
    return column.is_(None) if value is None else column == value


def entry_of(row: OutboxRow) -> Entry:
    assert row.id is not None
    return Entry(
        id=row.id,
        voicemail_id=row.voicemail_id,
        mailbox=row.mailbox,
        channel=Channel(row.channel),
        target=row.target,
        state=OutboxState(row.state),
        attempts=row.attempts,
        next_attempt=utc(row.next_attempt),
        lease_owner=row.lease_owner,
        lease_until=utc(row.lease_until) if row.lease_until else None,
        last_error=row.last_error,
        finished=utc(row.finished) if row.finished else None,
    )


def _override(row: MailboxNotify | None) -> MailboxOverride | None:
    if row is None:
        return None
    channels: Sequence[Channel] | None = None
    if row.channels is not None:
        channels = tuple(Channel(c) for c in row.channels.split(",") if c)
    return MailboxOverride(
        channels=None if channels is None else tuple(channels),
        email_to=row.email_to,
        webhook_url=row.webhook_url,
    )
