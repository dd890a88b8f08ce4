"""Organization join requests, and email domains that suggest an organization

Revision ID: 0009_org_join_requests
Revises: 0008_user_silence
Create Date: 2026-12-07 02:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009_org_join_requests"
down_revision = "0008_user_silence"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_domains", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "organization_join_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_organization_join_request_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_organization_join_request_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_organization_join_request_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization_join_request")),
    )
    with op.batch_alter_table("organization_join_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organization_join_request_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_organization_join_request_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("organization_join_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organization_join_request_user_id"))
        batch_op.drop_index(batch_op.f("ix_organization_join_request_organization_id"))
    op.drop_table("organization_join_request")
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_column("email_domains")
