"""Call rules (``call_rule``): each number's ordered rules, one JSON ``[[rule]]`` table per row
(tas.calls.rules_store, issue 16 item 3).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_call_rule_number", "call_rule", ["number"])


def downgrade() -> None:
    op.drop_index("ix_call_rule_number", table_name="call_rule")
    op.drop_table("call_rule")
