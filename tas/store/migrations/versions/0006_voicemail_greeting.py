"""Greetings in the database (``voicemail_greeting``) for ``[voicemail] storage = "database"``:
every replica plays every mailbox's greetings (tas.voicemail.greeting_catalog). Empty with
``local``.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voicemail_greeting",
        sa.Column("mailbox", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mailbox", "kind"),
    )


def downgrade() -> None:
    op.drop_table("voicemail_greeting")
