"""Forum drafts: a post being written, saved server side per member and topic

Revision ID: 0004_forum_drafts
Revises: 0003_directory
Create Date: 2026-12-07 01:25:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004_forum_drafts"
down_revision = "0003_directory"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "forum_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["forum_category.id"],
            name=op.f("fk_forum_draft_category_id_forum_category"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["forum_topic.id"], name=op.f("fk_forum_draft_topic_id_forum_topic"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_forum_draft_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_draft")),
        sa.UniqueConstraint("user_id", "scope", name="uq_forum_draft_user_scope"),
    )
    with op.batch_alter_table("forum_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forum_draft_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("forum_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forum_draft_user_id"))
    op.drop_table("forum_draft")
