"""New-message notifications: ``notification_outbox`` (one row per channel, committed with the
message; tas.voicemail.notify_outbox) and ``voicemail_notify`` (per-mailbox settings).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("voicemail_id", sa.String(length=36), nullable=False),
        sa.Column("mailbox", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=512), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notification_outbox_voicemail_id", "notification_outbox", ["voicemail_id"])
    op.create_index("ix_notification_outbox_next_attempt", "notification_outbox", ["next_attempt"])
    op.create_table(
        "voicemail_notify",
        sa.Column("mailbox", sa.String(length=16), nullable=False),
        sa.Column("channels", sa.String(length=64), nullable=True),
        sa.Column("email_to", sa.String(length=254), nullable=True),
        sa.Column("webhook_url", sa.String(length=512), nullable=True),
        sa.PrimaryKeyConstraint("mailbox"),
    )


def downgrade() -> None:
    op.drop_table("voicemail_notify")
    op.drop_index("ix_notification_outbox_next_attempt", "notification_outbox")
    op.drop_index("ix_notification_outbox_voicemail_id", "notification_outbox")
    op.drop_table("notification_outbox")
