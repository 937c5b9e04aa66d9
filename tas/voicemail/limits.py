"""Mailbox abuse limits, decided before a single second is recorded.

A caller may not leave a message when (``tas.config.VoicemailSettings``):

* the mailbox holds ``max_messages`` messages, or ``max_total_seconds`` of audio (less than
  ``min_seconds`` left) → :attr:`Refusal.MAILBOX_FULL`;
* this caller already left ``max_per_caller_per_hour`` messages in this mailbox during the last
  hour → :attr:`Refusal.CALLER_LIMIT` (callers without a number all count as ``anonymous``).

Otherwise the recording is capped at what the audio quota has left (never above
``max_seconds``). The voicemail flow plays :data:`PROMPTS` for a refusal instead of a bare 480.

:func:`decide` is pure; :func:`measure` reads the committed rows (one session, one query per
figure). Messages still being recorded are not counted, so two calls at the very same moment can
both pass; the store's own ``max_messages`` check at commit still holds for the message count.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from tas.config import VoicemailSettings
from tas.store.db import Database
from tas.voicemail.errors import StorageError
from tas.voicemail.models import VoicemailRow

__all__ = [
    "CALLER_WINDOW",
    "PROMPTS",
    "Admission",
    "MailboxUsage",
    "Refusal",
    "decide",
    "measure",
    "refusals",
]

CALLER_WINDOW = timedelta(hours=1)
_ASSETS = Path(__file__).parent / "assets"


class Refusal(StrEnum):
    MAILBOX_FULL = "mailbox-full"
    CALLER_LIMIT = "caller-limit"
    NO_MAILBOX = "no-mailbox"  # the leg names no number to take a message for


#: What the caller hears when refused (generated, see assets/README.md).
PROMPTS = {
    Refusal.MAILBOX_FULL: _ASSETS / "mailbox_full.wav",
    Refusal.CALLER_LIMIT: _ASSETS / "message_refused.wav",
    Refusal.NO_MAILBOX: _ASSETS / "message_refused.wav",
}
#: Refusals since the process started, by kind (for metrics and tests).
refusals: Counter[Refusal] = Counter()


@dataclass(frozen=True, slots=True)
class MailboxUsage:
    """What a mailbox holds, and how many of its messages came from one caller lately."""

    messages: int
    seconds: float
    from_caller: int  # within CALLER_WINDOW


@dataclass(frozen=True, slots=True)
class Admission:
    """None ``refusal``: record, at most ``max_seconds``; else why not (``detail`` for logs)."""

    refusal: Refusal | None
    max_seconds: float
    detail: str = ""


def decide(usage: MailboxUsage, settings: VoicemailSettings) -> Admission:
    """The limits above, in that order (a full mailbox is full for everyone)."""
    if usage.messages >= settings.max_messages:
        detail = f"{usage.messages} messages (max_messages {settings.max_messages})"
        return Admission(Refusal.MAILBOX_FULL, 0.0, detail)
    cap = settings.max_seconds
    if settings.max_total_seconds > 0:
        left = settings.max_total_seconds - usage.seconds
        if left < max(settings.min_seconds, 0.001):
            detail = (
                f"{usage.seconds:.0f} s of audio (max_total_seconds {settings.max_total_seconds:g})"
            )
            return Admission(Refusal.MAILBOX_FULL, 0.0, detail)
        cap = min(cap, left)
    limit = settings.max_per_caller_per_hour
    if limit > 0 and usage.from_caller >= limit:
        detail = f"{usage.from_caller} messages from this caller in the last hour (limit {limit})"
        return Admission(Refusal.CALLER_LIMIT, 0.0, detail)
    return Admission(None, cap)


async def measure(
    db: Database, mailbox: str, caller: str, now: datetime | None = None
) -> MailboxUsage:
    """Count the committed messages of ``mailbox`` and those ``caller`` left in the window."""
    since = (now or datetime.now(UTC)) - CALLER_WINDOW
    box = VoicemailRow.mailbox == mailbox
    totals = select(func.count(), func.coalesce(func.sum(VoicemailRow.duration), 0.0)).where(box)
    recent = (
        select(func.count())
        .where(box)
        .where(VoicemailRow.caller == caller)
        .where(col(VoicemailRow.created) >= since)
    )
    try:
        async with db.session() as session:
            messages, seconds = (await session.exec(totals)).one()
            from_caller = (await session.exec(recent)).one()
    except (SQLAlchemyError, OSError) as exc:
        raise StorageError(f"voicemail database unavailable: {exc}") from exc
    return MailboxUsage(int(messages), float(seconds), int(from_caller))
