"""Voicemail transcripts (``voicemail_transcript``): one row per message with the text, the
engine and language, the status (pending/done/failed/unavailable) and the lease of the worker
transcribing it (tas.voicemail.transcript_models, issue 15 item 5).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voicemail_transcript",
        sa.Column("voicemail_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("engine", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["voicemail_id"], ["voicemail_message.voicemail_id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("voicemail_id"),
    )
    op.create_index("ix_voicemail_transcript_status", "voicemail_transcript", ["status"])


def downgrade() -> None:
    op.drop_index("ix_voicemail_transcript_status", table_name="voicemail_transcript")
    op.drop_table("voicemail_transcript")
