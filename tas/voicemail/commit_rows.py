"""The rows that commit with a new message, in its transaction: its transcript row
(:mod:`tas.voicemail.transcript_store`) and its notification outbox rows
(:mod:`tas.voicemail.notify_store`). A listed message so always has both; a rolled-back one
neither.

The e-mail and webhook notifications carry the transcript, so while it is pending they are first
due ``[voicemail.transcribe] notify_wait`` seconds later; the worker that finishes the transcript
makes them due at once (:meth:`TranscriptStore.release_notifications`). One notification per
channel is sent, with the transcript when it was ready in time, else saying it is pending; no
follow-up is sent. SMS is never held.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from tas.config import VoicemailSettings
from tas.voicemail.models import VoicemailRow
from tas.voicemail.notify_store import enqueue
from tas.voicemail.transcribe import unavailable_reason
from tas.voicemail.transcript_models import TranscriptStatus
from tas.voicemail.transcript_store import HELD_CHANNELS, enqueue_transcript

__all__ = ["add_commit_rows"]


async def add_commit_rows(
    session: AsyncSession, row: VoicemailRow, settings: VoicemailSettings, now: datetime
) -> None:
    """Add the transcript and outbox rows of the message ``row`` to ``session``."""
    config = settings.transcribe
    why = unavailable_reason(config.enabled)
    status = enqueue_transcript(session, row.voicemail_id, now, available=not why, why=why)
    held_until = None
    if status is TranscriptStatus.PENDING and config.notify_wait > 0:
        held_until = now + timedelta(seconds=config.notify_wait)
    await enqueue(
        session,
        row.voicemail_id,
        row.mailbox,
        settings.notify,
        now,
        held=frozenset(HELD_CHANNELS),
        held_until=held_until,
    )
