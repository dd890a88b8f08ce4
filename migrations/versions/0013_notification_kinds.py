"""Members' delivery choice per kind of notification a plug-in declares

Revision ID: 0013_notification_kinds
Revises: 0012_forum_spaces
Create Date: 2026-12-07 14:30:00

Why: council notifications (issue 22) go in-app and by email per the member's
preferences, but ``notification_preference`` has one column per core kind and a
plug-in's kinds are known only when it is enabled. One row per (member, kind name)
holds a choice for any declared kind without a core column per plug-in; no row means
the plug-in's declared default, and a disabled plug-in's rows are simply not read.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_notification_kinds"
down_revision = "0012_forum_spaces"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notification_kind_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_kind_preference_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_notification_kind_preference")),
    )


def downgrade():
    op.drop_table("notification_kind_preference")
