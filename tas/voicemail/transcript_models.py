"""Transcripts of voicemail messages (issue #15 item 5): the ``voicemail_transcript`` table and
the value callers see.

One row per message, inserted in the transaction that commits the message
(:meth:`tas.voicemail.store.VoicemailStore.commit`): ``pending`` when a recogniser is installed
and enabled, else ``unavailable``. :mod:`tas.voicemail.transcript_rules` holds a row's life
(claim with a lease, done, failed); :mod:`tas.voicemail.transcribe_worker` runs it off the event
loop. The row is deleted with its message (foreign key, ``ON DELETE CASCADE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, ForeignKey, String, Text
from sqlmodel import Field, SQLModel

__all__ = ["Transcript", "TranscriptRow", "TranscriptStatus", "describe_transcript"]


class TranscriptStatus(StrEnum):
    PENDING = "pending"  # to transcribe (maybe leased by a worker right now)
    DONE = "done"
    FAILED = "failed"  # the recogniser failed, timed out, or every attempt crashed
    UNAVAILABLE = "unavailable"  # no recogniser installed (or transcripts turned off)


class TranscriptRow(SQLModel, table=True):
    """One message's transcript and the lease of the worker transcribing it."""

    __tablename__ = "voicemail_transcript"

    voicemail_id: str = Field(
        sa_column=Column(
            String(36),
            ForeignKey("voicemail_message.voicemail_id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    status: str = Field(max_length=16, index=True)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    engine: str = Field(default="", max_length=64)
    language: str = Field(default="", max_length=16)
    error: str = Field(default="", max_length=500)
    attempts: int = 0  # claims so far (each claim is one attempt)
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


@dataclass(frozen=True, slots=True)
class Transcript:
    """A message's transcript as the rules, the CLI, the APIs and notifications see it."""

    voicemail_id: str
    status: TranscriptStatus
    created: datetime
    updated: datetime
    text: str = ""
    engine: str = ""
    language: str = ""
    error: str = ""
    attempts: int = 0
    lease_owner: str | None = None
    lease_until: datetime | None = None

    def describe(self) -> str:
        """One human line: the words, or why there are none."""
        if self.status is TranscriptStatus.DONE:
            return self.text or "(no words recognised)"
        if self.status is TranscriptStatus.PENDING:
            return "not transcribed yet"
        if self.status is TranscriptStatus.UNAVAILABLE:
            return self.error or "no transcriber installed"
        return self.error or "the recogniser failed"

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (notifications, ``--json``)."""
        return {
            "status": self.status.value,
            "text": self.text if self.status is TranscriptStatus.DONE else None,
            "engine": self.engine or None,
            "language": self.language or None,
            "detail": self.describe(),
            "updated": self.updated.isoformat(),
        }


def describe_transcript(transcript: Transcript | None) -> str:
    """``status: words or why not``, for the CLI and text notifications; a message committed
    before transcripts existed has no row."""
    if transcript is None:
        return "none (the message predates transcripts)"
    return f"{transcript.status.value}: {transcript.describe()}"
