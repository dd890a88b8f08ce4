"""Uploads: the upload table, members' avatars and organizations' logos

Revision ID: 0006_uploads
Revises: 0005_user_session
Create Date: 2026-12-07 01:50:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006_uploads"
down_revision = "0005_user_session"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("storage_key", sa.String(length=80), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user_account.id"], name=op.f("fk_upload_owner_id_user_account"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["forum_post.id"], name=op.f("fk_upload_post_id_forum_post"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_upload_storage_key")),
    )
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_upload_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_upload_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_upload_post_id"), ["post_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_upload_created_at"), ["created_at"], unique=False)

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("avatar_upload_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_user_account_avatar_upload_id_upload", "upload", ["avatar_upload_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(sa.Column("logo_upload_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_organization_logo_upload_id_upload", "upload", ["logo_upload_id"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_constraint("fk_organization_logo_upload_id_upload", type_="foreignkey")
        batch_op.drop_column("logo_upload_id")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint("fk_user_account_avatar_upload_id_upload", type_="foreignkey")
        batch_op.drop_column("avatar_upload_id")
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upload_created_at"))
        batch_op.drop_index(batch_op.f("ix_upload_post_id"))
        batch_op.drop_index(batch_op.f("ix_upload_sha256"))
        batch_op.drop_index(batch_op.f("ix_upload_owner_id"))
    op.drop_table("upload")
