"""Q&A tables, all keyed by forum ids: the forum rows stay the single copy of the text.

Uniqueness lives in the database so concurrent requests cannot double-count:
one vote per (post, user), one acceptance "slot" per question when the category allows
a single accepted answer, and each ledger event reversed at most once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.db import utcnow
from app.extensions import db


class QACategory(db.Model):
    """A row marks a forum category as Q&A."""

    __tablename__ = "qa_category"

    category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("forum_category.id", ondelete="CASCADE"), primary_key=True
    )
    multiple_accepted: Mapped[bool] = mapped_column(nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class QAVote(db.Model):
    __tablename__ = "qa_vote"
    __table_args__ = (
        sa.UniqueConstraint("post_id", "user_id", name="uq_qa_vote_post_user"),
        sa.CheckConstraint("value IN (-1, 1)", name="value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_post.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    value: Mapped[int] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class QAAcceptedAnswer(db.Model):
    """An accepted answer. ``slot`` is 0 in single-accept categories (so the unique
    (topic, slot) pair allows one) and the post id where several are allowed."""

    __tablename__ = "qa_accepted_answer"
    __table_args__ = (sa.UniqueConstraint("topic_id", "slot", name="uq_qa_accepted_answer_topic_slot"),)

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_post.id", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(
        sa.ForeignKey("forum_topic.id", ondelete="CASCADE"), nullable=False, index=True
    )
    slot: Mapped[int] = mapped_column(nullable=False, default=0)
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class QATag(db.Model):
    __tablename__ = "qa_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(30), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class QATopicTag(db.Model):
    __tablename__ = "qa_topic_tag"

    topic_id: Mapped[int] = mapped_column(
        sa.ForeignKey("forum_topic.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        sa.ForeignKey("qa_tag.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    tag: Mapped[QATag] = relationship()


class QATagFollow(db.Model):
    __tablename__ = "qa_tag_follow"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(sa.ForeignKey("qa_tag.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class QAComment(db.Model):
    __tablename__ = "qa_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(
        sa.ForeignKey("forum_post.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body_html: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column()

    author: Mapped[User] = relationship()


class QAQuestionState(db.Model):
    """Present while a question is closed (as a duplicate or off-topic)."""

    __tablename__ = "qa_question_state"

    topic_id: Mapped[int] = mapped_column(
        sa.ForeignKey("forum_topic.id", ondelete="CASCADE"), primary_key=True
    )
    closed_reason: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("forum_topic.id", ondelete="SET NULL"), index=True
    )
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    closed_by: Mapped[User | None] = relationship()


class QAReputationEvent(db.Model):
    """Append-only reputation ledger; a user's reputation is the sum of ``points``.

    Undoing something appends a reversal (``reversal_of`` points at the undone row,
    unique so no row is ever reversed twice); rows are never updated or deleted.
    """

    __tablename__ = "qa_reputation_event"
    __table_args__ = (sa.Index("ix_qa_reputation_event_post_actor", "post_id", "actor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    points: Mapped[int] = mapped_column(nullable=False)
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forum_post.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.String(30), nullable=False, default="")
    reversal_of: Mapped[int | None] = mapped_column(sa.ForeignKey("qa_reputation_event.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class QASetting(db.Model):
    """Admin overrides of points and thresholds; absent keys use the defaults in code."""

    __tablename__ = "qa_setting"

    key: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[int] = mapped_column(nullable=False)
