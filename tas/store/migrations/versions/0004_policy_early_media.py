"""Per-policy early media (``call_policy.early_media``): an ``answer`` policy plays its
announcement, and a ``voicemail`` policy its refusal prompts, in 183 Session Progress without
answering (tas.calls.policy, issue 13 item 4).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_policy") as batch:
        batch.add_column(
            sa.Column("early_media", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("call_policy") as batch:
        batch.drop_column("early_media")
