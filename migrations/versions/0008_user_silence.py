"""Silenced members: they may read but not post until a time (moderation)

Revision ID: 0008_user_silence
Revises: 0007_site_settings
Create Date: 2026-12-07 02:15:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008_user_silence"
down_revision = "0007_site_settings"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("silenced_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("silenced_reason", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("silenced_reason")
        batch_op.drop_column("silenced_until")
