"""Milestones that voicemail's background workers add to the timeline of the call that left a
message (:mod:`tas.events.timeline`): ``notified`` / ``notify-failed``
(:mod:`tas.voicemail.notify_worker`), ``transcribed`` / ``transcribe-failed``
(:mod:`tas.voicemail.transcribe_worker`)."""

from __future__ import annotations

import logging

from sqlmodel import col, or_, select

from tas.calls.records import CallMilestone, CallRecord
from tas.logs import log_event
from tas.store.db import Database
from tas.voicemail.models import Voicemail

__all__ = ["add_milestone"]

log = logging.getLogger(__name__)


async def add_milestone(db: Database, message: Voicemail | None, kind: str, detail: str) -> None:
    """A milestone on the call that left ``message`` (found by voicemail id or Call-ID); a
    failure is logged only: the timeline is a record, never a reason to redo the work."""
    if message is None:
        return
    keys = [col(CallRecord.voicemail_id) == message.voicemail_id]
    if message.call_id:
        keys.append(col(CallRecord.sip_call_id) == message.call_id)
    try:
        async with db.session() as session:
            record_id = (
                await session.exec(select(CallRecord.id).where(or_(*keys)).limit(1))
            ).first()
            if record_id is None:
                return
            session.add(CallMilestone(call_record_id=record_id, kind=kind, detail=detail))
            await session.commit()
    except Exception as exc:
        log_event(log, "voicemail_milestone_failed", level=logging.WARNING, kind=kind, error=exc)
