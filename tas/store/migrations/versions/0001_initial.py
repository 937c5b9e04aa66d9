"""The schema of the first releases (what ``create_all`` made before migrations existed).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "breakout_registration",
        sa.Column("phone_number", sa.String(length=16), nullable=False),
        sa.Column("desired_route", sa.Integer(), nullable=True),
        sa.Column("desired_uri", sa.String(), nullable=True),
        sa.Column("desired_mo_prefix", sa.String(), nullable=False),
        sa.Column("desired_mt_prefix", sa.String(), nullable=False),
        sa.Column("registered_route", sa.Integer(), nullable=True),
        sa.Column("registered_uri", sa.String(), nullable=True),
        sa.Column("registered_mo_prefix", sa.String(), nullable=False),
        sa.Column("registered_mt_prefix", sa.String(), nullable=False),
        sa.Column("registered_at", sa.Float(), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=True),
        sa.Column("refresh_at", sa.Float(), nullable=True),
        sa.Column("retry_at", sa.Float(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("phone_number"),
    )
    op.create_table(
        "call_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("route", sa.String(), nullable=True),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("announcement", sa.String(), nullable=True),
        sa.Column("menu", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("call_policy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_policy_number"), ["number"], unique=False)

    op.create_table(
        "call_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sip_call_id", sa.String(), nullable=False),
        sa.Column("session_id", sa.String(), nullable=True),
        sa.Column("direction", sa.String(), nullable=False),
        sa.Column("route", sa.String(), nullable=True),
        sa.Column("caller", sa.String(), nullable=True),
        sa.Column("callee", sa.String(), nullable=True),
        sa.Column("subscriber", sa.String(), nullable=True),
        sa.Column("action", sa.String(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("voicemail_id", sa.String(), nullable=True),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("call_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_record_callee"), ["callee"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_record_caller"), ["caller"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_record_session_id"), ["session_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_call_record_sip_call_id"), ["sip_call_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_call_record_started"), ["started"], unique=False)

    op.create_table(
        "core_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("stream", sa.String(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("call_id", sa.String(), nullable=True),
        sa.Column("voicemail_id", sa.String(), nullable=True),
        sa.Column("from_number", sa.String(), nullable=True),
        sa.Column("to_number", sa.String(), nullable=True),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("caller_id_hidden", sa.Boolean(), nullable=False),
        sa.Column("service_id", sa.String(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redelivered", sa.Boolean(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_key"),
    )
    with op.batch_alter_table("core_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_core_event_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_core_event_owner"), ["owner"], unique=False)
        batch_op.create_index(batch_op.f("ix_core_event_stream"), ["stream"], unique=False)
        batch_op.create_index(batch_op.f("ix_core_event_timestamp"), ["timestamp"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_core_event_voicemail_id"), ["voicemail_id"], unique=False
        )

    op.create_table(
        "voicemail_mailbox",
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_table(
        "call_milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_record_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_record_id"],
            ["call_record.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("call_milestone", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_call_milestone_call_record_id"), ["call_record_id"], unique=False
        )

    op.create_table(
        "voicemail_message",
        sa.Column("voicemail_id", sa.String(length=36), nullable=False),
        sa.Column("mailbox", sa.String(length=16), nullable=False),
        sa.Column("caller", sa.String(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("played", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("call_id", sa.String(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["mailbox"],
            ["voicemail_mailbox.number"],
        ),
        sa.PrimaryKeyConstraint("voicemail_id"),
    )
    with op.batch_alter_table("voicemail_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_voicemail_message_created"), ["created"], unique=False)
        batch_op.create_index(batch_op.f("ix_voicemail_message_expires"), ["expires"], unique=False)
        batch_op.create_index(batch_op.f("ix_voicemail_message_mailbox"), ["mailbox"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("voicemail_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voicemail_message_mailbox"))
        batch_op.drop_index(batch_op.f("ix_voicemail_message_expires"))
        batch_op.drop_index(batch_op.f("ix_voicemail_message_created"))

    op.drop_table("voicemail_message")
    with op.batch_alter_table("call_milestone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_milestone_call_record_id"))

    op.drop_table("call_milestone")
    op.drop_table("voicemail_mailbox")
    with op.batch_alter_table("core_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_event_voicemail_id"))
        batch_op.drop_index(batch_op.f("ix_core_event_timestamp"))
        batch_op.drop_index(batch_op.f("ix_core_event_stream"))
        batch_op.drop_index(batch_op.f("ix_core_event_owner"))
        batch_op.drop_index(batch_op.f("ix_core_event_call_id"))

    op.drop_table("core_event")
    with op.batch_alter_table("call_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_record_started"))
        batch_op.drop_index(batch_op.f("ix_call_record_sip_call_id"))
        batch_op.drop_index(batch_op.f("ix_call_record_session_id"))
        batch_op.drop_index(batch_op.f("ix_call_record_caller"))
        batch_op.drop_index(batch_op.f("ix_call_record_callee"))

    op.drop_table("call_record")
    with op.batch_alter_table("call_policy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_policy_number"))

    op.drop_table("call_policy")
    op.drop_table("breakout_registration")
