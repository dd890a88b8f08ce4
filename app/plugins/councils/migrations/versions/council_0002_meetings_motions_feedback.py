"""councils: meetings, agenda items, minutes, motions, ballots, feedback, action items

Revision ID: council_0002
Revises: council_0001
Create Date: 2026-12-07 05:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "council_0002"
down_revision = "council_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "council_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["council.id"],
            name=op.f("fk_council_meeting_council_id_council"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_council_meeting_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_meeting")),
    )
    op.create_index(op.f("ix_council_meeting_council_id"), "council_meeting", ["council_id"], unique=False)
    op.create_table(
        "council_action_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["council.id"],
            name=op.f("fk_council_action_item_council_id_council"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_council_action_item_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["council_meeting.id"],
            name=op.f("fk_council_action_item_meeting_id_council_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user_account.id"],
            name=op.f("fk_council_action_item_owner_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_action_item")),
    )
    op.create_index(
        op.f("ix_council_action_item_council_id"), "council_action_item", ["council_id"], unique=False
    )
    op.create_table(
        "council_agenda_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("confidentiality", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("summary_html", sa.Text(), nullable=False),
        sa.Column("public_after", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["council_meeting.id"],
            name=op.f("fk_council_agenda_item_meeting_id_council_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_agenda_item")),
    )
    op.create_index(
        op.f("ix_council_agenda_item_meeting_id"), "council_agenda_item", ["meeting_id"], unique=False
    )
    op.create_table(
        "council_motion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_html", sa.Text(), nullable=False),
        sa.Column("quorum_kind", sa.String(length=10), nullable=False),
        sa.Column("quorum_value", sa.Integer(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=False),
        sa.Column("closes_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("opened_notified", sa.Boolean(), nullable=False),
        sa.Column("closing_notified", sa.Boolean(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("eligible", sa.Integer(), nullable=True),
        sa.Column("yes", sa.Integer(), nullable=True),
        sa.Column("no", sa.Integer(), nullable=True),
        sa.Column("abstain", sa.Integer(), nullable=True),
        sa.Column("quorum_met", sa.Boolean(), nullable=True),
        sa.CheckConstraint("closes_at > opens_at", name=op.f("ck_council_motion_closes_after_opening")),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["council.id"],
            name=op.f("fk_council_motion_council_id_council"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_council_motion_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["council_meeting.id"],
            name=op.f("fk_council_motion_meeting_id_council_meeting"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_motion")),
    )
    op.create_index(op.f("ix_council_motion_closes_at"), "council_motion", ["closes_at"], unique=False)
    op.create_index(op.f("ix_council_motion_council_id"), "council_motion", ["council_id"], unique=False)
    op.create_table(
        "council_ballot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("motion_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["motion_id"],
            ["council_motion.id"],
            name=op.f("fk_council_ballot_motion_id_council_motion"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_council_ballot_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_ballot")),
        sa.UniqueConstraint("motion_id", "user_id", name=op.f("uq_council_ballot_motion_id")),
    )
    op.create_index(op.f("ix_council_ballot_motion_id"), "council_ballot", ["motion_id"], unique=False)
    op.create_table(
        "council_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("motion_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("problem_html", sa.Text(), nullable=False),
        sa.Column("impact", sa.Text(), nullable=False),
        sa.Column("impact_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("responded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["council.id"],
            name=op.f("fk_council_feedback_council_id_council"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_council_feedback_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["motion_id"],
            ["council_motion.id"],
            name=op.f("fk_council_feedback_motion_id_council_motion"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_feedback")),
    )
    op.create_index(op.f("ix_council_feedback_council_id"), "council_feedback", ["council_id"], unique=False)
    op.create_table(
        "council_minutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("written_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["council_agenda_item.id"],
            name=op.f("fk_council_minutes_item_id_council_agenda_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["written_by_id"],
            ["user_account.id"],
            name=op.f("fk_council_minutes_written_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_minutes")),
        sa.UniqueConstraint("item_id", name=op.f("uq_council_minutes_item_id")),
    )
    op.create_table(
        "council_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("motion_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=10), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["motion_id"],
            ["council_motion.id"],
            name=op.f("fk_council_tally_motion_id_council_motion"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_tally")),
        sa.UniqueConstraint("motion_id", "choice", name=op.f("uq_council_tally_motion_id")),
    )
    op.create_table(
        "council_feedback_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("note_html", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_council_feedback_status_actor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["council_feedback.id"],
            name=op.f("fk_council_feedback_status_feedback_id_council_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_feedback_status")),
    )
    op.create_index(
        op.f("ix_council_feedback_status_feedback_id"),
        "council_feedback_status",
        ["feedback_id"],
        unique=False,
    )


def downgrade():
    op.drop_index(op.f("ix_council_feedback_status_feedback_id"), table_name="council_feedback_status")
    op.drop_table("council_feedback_status")
    op.drop_table("council_tally")
    op.drop_table("council_minutes")
    op.drop_index(op.f("ix_council_feedback_council_id"), table_name="council_feedback")
    op.drop_table("council_feedback")
    op.drop_index(op.f("ix_council_ballot_motion_id"), table_name="council_ballot")
    op.drop_table("council_ballot")
    op.drop_index(op.f("ix_council_motion_council_id"), table_name="council_motion")
    op.drop_index(op.f("ix_council_motion_closes_at"), table_name="council_motion")
    op.drop_table("council_motion")
    op.drop_index(op.f("ix_council_agenda_item_meeting_id"), table_name="council_agenda_item")
    op.drop_table("council_agenda_item")
    op.drop_index(op.f("ix_council_action_item_council_id"), table_name="council_action_item")
    op.drop_table("council_action_item")
    op.drop_index(op.f("ix_council_meeting_council_id"), table_name="council_meeting")
    op.drop_table("council_meeting")
