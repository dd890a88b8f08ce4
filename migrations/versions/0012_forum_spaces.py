"""Forum categories that are a plug-in's private space (a council's forum)

Revision ID: 0012_forum_spaces
Revises: 0011_country_codes
Create Date: 2026-12-07 14:00:00

Why: each advisory council gets a private forum category (issue 22). Forums makes it
from the ``forum_spaces`` hook and must find it again without the plug-in writing forum
rows, so the category records whose space it is. The pair is unique: two workers
syncing spaces at once make one category, the loser's insert fails and it re-reads.
Both columns stay NULL for ordinary categories (NULLs never collide in a unique key).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_forum_spaces"
down_revision = "0011_country_codes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("forum_category", schema=None) as batch_op:
        batch_op.add_column(sa.Column("space_type", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("space_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_forum_category_space", ["space_type", "space_id"])


def downgrade():
    with op.batch_alter_table("forum_category", schema=None) as batch_op:
        batch_op.drop_constraint("uq_forum_category_space", type_="unique")
        batch_op.drop_column("space_id")
        batch_op.drop_column("space_type")
