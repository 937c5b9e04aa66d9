"""SQL tables of the voicemail store (sqlmodel, SQLite or PostgreSQL) and the values handed out.

A row in ``voicemail_message`` exists only once its audio file is complete and renamed into place
(see :mod:`tas.voicemail.store`); callers never see ORM rows, only frozen :class:`Voicemail`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Column, DateTime, ForeignKey, LargeBinary, String
from sqlmodel import Field, SQLModel

from registrations.model import is_e164

__all__ = ["GreetingRow", "Mailbox", "Reason", "Voicemail", "VoicemailAudio", "VoicemailRow"]


class Reason(StrEnum):
    """Why the call reached voicemail (RFC 4458 §3.5 causes, RFC 5806 §4 reasons, see
    :mod:`tas.calls.diversion`); also selects the greeting."""

    BUSY = "busy"
    NO_ANSWER = "no-answer"
    UNAVAILABLE = "unavailable"
    UNCONDITIONAL = "unconditional"
    DEFAULT = "default"


class Mailbox(SQLModel, table=True):
    """One mailbox per E.164 number; its row is the lock that serialises the message limit."""

    __tablename__ = "voicemail_mailbox"

    number: str = Field(primary_key=True, max_length=16)
    created: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class VoicemailRow(SQLModel, table=True):
    """One committed message; ``path`` is relative to the store's root directory."""

    __tablename__ = "voicemail_message"

    voicemail_id: str = Field(primary_key=True, max_length=36)
    mailbox: str = Field(foreign_key="voicemail_mailbox.number", index=True, max_length=16)
    caller: str
    duration: float
    created: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    expires: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    played: bool = False
    reason: str = Field(default=Reason.DEFAULT.value, max_length=16)
    call_id: str | None = None
    size: int
    path: str = Field(max_length=255)


class VoicemailAudio(SQLModel, table=True):
    """A message's WAV bytes in the ``database`` blob backend (:mod:`tas.voicemail.blobs_db`);
    inserted in the transaction of its ``voicemail_message`` row, deleted with it (cascade)."""

    __tablename__ = "voicemail_audio"

    voicemail_id: str = Field(
        sa_column=Column(
            String(36),
            ForeignKey("voicemail_message.voicemail_id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class GreetingRow(SQLModel, table=True):
    """A mailbox's greeting for one kind (a reason, or ``name``) with ``storage = "database"``
    (:mod:`tas.voicemail.greeting_catalog`): 8 kHz mono PCM16 WAV and its SHA-256 (hex)."""

    __tablename__ = "voicemail_greeting"

    mailbox: str = Field(primary_key=True, max_length=16)
    kind: str = Field(primary_key=True, max_length=16)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    updated: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


def utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Voicemail:
    """A committed message as callers see it (``path`` is absolute)."""

    voicemail_id: str
    mailbox: str
    caller: str
    duration: float
    created: datetime
    expires: datetime
    played: bool
    reason: Reason
    call_id: str | None
    size: int
    path: Path

    @property
    def caller_number(self) -> str:
        """The caller's E.164 number for a ``from`` field; "" for a hidden caller (RFC 3323,
        stored as ``anonymous``) or one without a number."""
        return self.caller if is_e164(self.caller) else ""

    @classmethod
    def from_row(cls, row: VoicemailRow, root: Path) -> Voicemail:
        return cls(
            voicemail_id=row.voicemail_id,
            mailbox=row.mailbox,
            caller=row.caller,
            duration=row.duration,
            created=utc(row.created),
            expires=utc(row.expires),
            played=row.played,
            reason=Reason(row.reason),
            call_id=row.call_id,
            size=row.size,
            path=root / row.path,
        )

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (ISO 8601 times, seconds as float)."""
        return {
            "voicemail_id": self.voicemail_id,
            "mailbox": self.mailbox,
            "from": self.caller,
            "duration": round(self.duration, 3),
            "created": self.created.isoformat(),
            "expires": self.expires.isoformat(),
            "played": self.played,
            "reason": self.reason.value,
            "call_id": self.call_id,
            "size": self.size,
            "path": str(self.path),
        }
