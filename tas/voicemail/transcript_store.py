"""Transcript rows in SQL (adapter of :mod:`tas.voicemail.transcript_rules`).

:func:`enqueue_transcript` runs inside the transaction that inserts a message's row
(:meth:`tas.voicemail.store.VoicemailStore.commit`), so a committed message always has its
transcript row and a crash leaves it ``pending`` for the next start. :meth:`TranscriptStore.
claim_due` and :meth:`TranscriptStore.record` write each transition with a compare-and-set
``UPDATE`` (on status, attempts and lease owner): two replicas never hold one row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tas.logs import log_event
from tas.store.db import Database
from tas.voicemail.models import utc
from tas.voicemail.notify_models import Channel, OutboxRow, OutboxState
from tas.voicemail.transcript_models import Transcript, TranscriptRow, TranscriptStatus
from tas.voicemail.transcript_rules import claim, initial_status

__all__ = ["HELD_CHANNELS", "TranscriptStore", "enqueue_transcript"]

log = logging.getLogger(__name__)

#: Notifications that carry the transcript and so wait for it (bounded); SMS stays short.
HELD_CHANNELS = (Channel.EMAIL, Channel.WEBHOOK)


def enqueue_transcript(
    session: AsyncSession, voicemail_id: str, now: datetime, *, available: bool, why: str
) -> TranscriptStatus:
    """Add the message's transcript row to ``session``'s transaction; ``why`` says why it is
    unavailable when ``available`` is false."""
    status = initial_status(available)
    session.add(
        TranscriptRow(
            voicemail_id=voicemail_id,
            status=status.value,
            error="" if available else why,
            created=now,
            updated=now,
        )
    )
    return status


class TranscriptStore:
    """Claim pending transcripts, record results, read them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim_due(
        self, owner: str, now: datetime, lease: timedelta, max_attempts: int, limit: int
    ) -> list[Transcript]:
        """Lease up to ``limit`` pending rows to ``owner`` (oldest first); a row out of
        attempts is failed instead (and not returned)."""
        query = (
            select(TranscriptRow)
            .where(
                TranscriptRow.status == TranscriptStatus.PENDING.value,
                or_(
                    col(TranscriptRow.lease_until).is_(None),
                    col(TranscriptRow.lease_until) <= now,
                ),
            )
            .order_by(col(TranscriptRow.created), col(TranscriptRow.voicemail_id))
            .limit(limit)
        )
        claimed: list[Transcript] = []
        async with self.db.session() as session:
            for row in (await session.exec(query)).all():
                before = transcript_of(row)
                after = claim(before, owner, now, lease, max_attempts)
                if await self._swap(session, before, after):
                    if after.status is TranscriptStatus.PENDING:
                        claimed.append(after)
                    else:
                        log_event(
                            log, "transcript_gave_up", level=logging.WARNING,
                            voicemail_id=after.voicemail_id, error=after.error,
                        )  # fmt: skip
            await session.commit()
        return claimed

    async def record(self, before: Transcript, after: Transcript) -> bool:
        """Write ``after`` if ``before`` still holds; False when this worker's lease was lost."""
        async with self.db.session() as session:
            swapped = await self._swap(session, before, after)
            await session.commit()
        if not swapped:
            log_event(
                log, "transcript_lease_lost", level=logging.WARNING,
                voicemail_id=before.voicemail_id, owner=before.lease_owner,
            )  # fmt: skip
        return swapped

    async def get(self, voicemail_id: str) -> Transcript | None:
        """The message's transcript; None for a message committed before transcripts existed."""
        async with self.db.session() as session:
            row = await session.get(TranscriptRow, voicemail_id)
            return None if row is None else transcript_of(row)

    async def get_many(self, voicemail_ids: Iterable[str]) -> dict[str, Transcript]:
        ids = list(voicemail_ids)
        if not ids:
            return {}
        query = select(TranscriptRow).where(col(TranscriptRow.voicemail_id).in_(ids))
        async with self.db.session() as session:
            rows = (await session.exec(query)).all()
        return {row.voicemail_id: transcript_of(row) for row in rows}

    async def release_notifications(self, voicemail_id: str, now: datetime) -> int:
        """The held e-mail/webhook notifications of ``voicemail_id`` become due now (the
        transcript is ready); returns how many. Leased or finished ones are left alone."""
        statement = (
            update(OutboxRow)
            .where(
                col(OutboxRow.voicemail_id) == voicemail_id,
                col(OutboxRow.state) == OutboxState.PENDING.value,
                col(OutboxRow.channel).in_([c.value for c in HELD_CHANNELS]),
                col(OutboxRow.attempts) == 0,
                col(OutboxRow.lease_owner).is_(None),
                col(OutboxRow.next_attempt) > now,
            )
            .values(next_attempt=now)
        )
        async with self.db.session() as session:
            result = await session.exec(statement)
            await session.commit()
        return int(result.rowcount or 0)

    @staticmethod
    async def _swap(session: AsyncSession, before: Transcript, after: Transcript) -> bool:
        owner = col(TranscriptRow.lease_owner)
        statement = (
            update(TranscriptRow)
            .where(
                col(TranscriptRow.voicemail_id) == before.voicemail_id,
                col(TranscriptRow.status) == before.status.value,
                col(TranscriptRow.attempts) == before.attempts,
                owner.is_(None) if before.lease_owner is None else owner == before.lease_owner,
            )
            .values(
                status=after.status.value,
                text=after.text,
                engine=after.engine,
                language=after.language,
                error=after.error,
                attempts=after.attempts,
                lease_owner=after.lease_owner,
                lease_until=after.lease_until,
                updated=after.updated,
            )
        )
        result: Any = await session.exec(statement)
        return bool(result.rowcount == 1)


def transcript_of(row: TranscriptRow) -> Transcript:
    return Transcript(
        voicemail_id=row.voicemail_id,
        status=TranscriptStatus(row.status),
        created=utc(row.created),
        updated=utc(row.updated),
        text=row.text,
        engine=row.engine,
        language=row.language,
        error=row.error,
        attempts=row.attempts,
        lease_owner=row.lease_owner,
        lease_until=utc(row.lease_until) if row.lease_until else None,
    )
