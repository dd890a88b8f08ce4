"""mail_queue: outgoing email, written with the write that sends it and retried

Revision ID: 0014_mail_queue
Revises: 0013_notification_kinds
Create Date: 2026-12-07 15:00:00

Why: email was sent by an after-commit callback and a failed SMTP send was only
logged, so the message was lost and the admin dashboard could not show it. Each email
is now a row added in the caller's transaction, sent after the commit, and retried by
the worker's ``mail.retry`` job until it goes.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014_mail_queue"
down_revision = "0013_notification_kinds"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mail_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_queue")),
        sa.UniqueConstraint("message_id", name=op.f("uq_mail_queue_message_id")),
    )
    with op.batch_alter_table("mail_queue", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mail_queue_sent_at_next_attempt_at", ["sent_at", "next_attempt_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("mail_queue", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_queue_sent_at_next_attempt_at")
    op.drop_table("mail_queue")
