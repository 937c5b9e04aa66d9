"""SQL tables of new-message notifications: the outbox and the per-mailbox settings.

``notification_outbox`` gets one row per channel in the transaction that commits a message
(:meth:`tas.voicemail.store.VoicemailStore.commit`), so a listed message always has its
notifications queued and a rolled-back one never has. :mod:`tas.voicemail.notify_outbox` holds
the rules of a row's life (claim with a lease, sent, retried with backoff, failed);
``voicemail_notify`` overrides ``[voicemail.notify]`` for one mailbox.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

__all__ = ["Channel", "MailboxNotify", "OutboxRow", "OutboxState"]


class Channel(StrEnum):
    """A notification plug-in."""

    SMS = "sms"
    EMAIL = "email"
    WEBHOOK = "webhook"


class OutboxState(StrEnum):
    PENDING = "pending"  # to send (maybe leased by a worker right now)
    SENT = "sent"
    FAILED = "failed"  # gave up: out of attempts, or a permanent refusal


class OutboxRow(SQLModel, table=True):
    """One notification of one message on one channel."""

    __tablename__ = "notification_outbox"

    id: int | None = Field(default=None, primary_key=True)
    voicemail_id: str = Field(index=True, max_length=36)
    mailbox: str = Field(max_length=16)
    channel: str = Field(max_length=16)
    target: str = Field(max_length=512)  # number, e-mail address or URL
    state: str = Field(default=OutboxState.PENDING.value, max_length=16)
    attempts: int = 0  # claims so far (each claim is one attempt)
    next_attempt: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_error: str = Field(default="", max_length=500)
    created: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    finished: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class MailboxNotify(SQLModel, table=True):
    """One mailbox's notification settings; ``None`` keeps the global value."""

    __tablename__ = "voicemail_notify"

    mailbox: str = Field(primary_key=True, max_length=16)
    channels: str | None = Field(default=None, max_length=64)  # "sms,email"; "" = none
    email_to: str | None = Field(default=None, max_length=254)
    webhook_url: str | None = Field(default=None, max_length=512)
