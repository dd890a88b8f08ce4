"""councils: the document list of a council's private space (links and Markdown notes)

Revision ID: council_0003
Revises: council_0002
Create Date: 2026-12-07 14:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "council_0003"
down_revision = "council_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "council_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["council.id"],
            name=op.f("fk_council_document_council_id_council"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_council_document_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_document")),
    )
    op.create_index(op.f("ix_council_document_council_id"), "council_document", ["council_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_council_document_council_id"), table_name="council_document")
    op.drop_table("council_document")
