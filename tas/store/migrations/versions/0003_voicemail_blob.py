"""Voicemail audio in the database (``voicemail_audio``): the ``[voicemail] storage =
"database"`` blob backend keeps each message's WAV here, committed with its row, so every
replica serves every message (tas.voicemail.blobs_db). Harmless and empty with ``local``.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voicemail_audio",
        sa.Column("voicemail_id", sa.String(length=36), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["voicemail_id"], ["voicemail_message.voicemail_id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("voicemail_id"),
    )


def downgrade() -> None:
    op.drop_table("voicemail_audio")
