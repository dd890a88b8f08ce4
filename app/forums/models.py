"""Categories, topics, posts, revisions, likes, watches, read state and mentions.

Counters and ``last_posted_at`` are denormalised onto topics because the latest-topics
page is the hottest query in the product; services keep them in step inside the same
transaction as the write.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.db import utcnow
from app.core.pagecache import register_viewer_table
from app.extensions import db


class Category(db.Model):
    """A forum category. ``space_type``/``space_id`` mark a plug-in's private space (a
    council's forum, say): made by ``app.forums.spaces`` from the ``forum_spaces`` hook,
    readable only by those ``forum_space_member`` admits; the pair is unique so two
    workers syncing at once cannot make a scope's category twice."""

    __tablename__ = "forum_category"
    __table_args__ = (sa.UniqueConstraint("space_type", "space_id", name="uq_forum_category_space"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forum_category.id"), index=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    # Access policies: "everyone", "members", or a comma list of roles (see permissions).
    view_policy: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="everyone")
    topic_policy: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="members")
    reply_policy: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="members")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    space_type: Mapped[str | None] = mapped_column(sa.String(40))
    space_id: Mapped[int | None] = mapped_column()

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(back_populates="parent", order_by="Category.position")

    @property
    def full_name(self) -> str:
        """The name, after its parent's ("Parent › Child") for a subcategory: pickers and
        topic lists mix both levels, where a child's name alone ("General") is ambiguous."""
        return f"{self.parent.name} › {self.name}" if self.parent else self.name

    @property
    def is_space(self) -> bool:
        return self.space_type is not None


class Topic(db.Model):
    __tablename__ = "forum_topic"
    __table_args__ = (
        sa.Index("ix_forum_topic_latest", "deleted_at", "last_posted_at"),
        sa.Index("ix_forum_topic_category_latest", "category_id", "pinned", "last_posted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_category.id"), nullable=False)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    last_posted_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    last_poster_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    post_count: Mapped[int] = mapped_column(nullable=False, default=0)  # visible posts incl. first
    highest_post_number: Mapped[int] = mapped_column(nullable=False, default=0)
    view_count: Mapped[int] = mapped_column(nullable=False, default=0)
    like_count: Mapped[int] = mapped_column(nullable=False, default=0)
    locked: Mapped[bool] = mapped_column(nullable=False, default=False)
    pinned: Mapped[bool] = mapped_column(nullable=False, default=False)
    hidden: Mapped[bool] = mapped_column(nullable=False, default=False)
    deleted_at: Mapped[datetime | None] = mapped_column()

    category: Mapped[Category] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    last_poster: Mapped[User | None] = relationship(foreign_keys=[last_poster_id])

    @property
    def reply_count(self) -> int:
        return max(self.post_count - 1, 0)


class Post(db.Model):
    __tablename__ = "forum_post"
    __table_args__ = (sa.UniqueConstraint("topic_id", "number", name="uq_forum_post_topic_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_topic.id"), nullable=False)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(nullable=False)  # 1 is the topic's opening post
    reply_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forum_post.id"))
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body_html: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False, index=True)
    edited_at: Mapped[datetime | None] = mapped_column()
    revision_count: Mapped[int] = mapped_column(nullable=False, default=0)
    like_count: Mapped[int] = mapped_column(nullable=False, default=0)
    hidden: Mapped[bool] = mapped_column(nullable=False, default=False)
    hidden_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    deleted_at: Mapped[datetime | None] = mapped_column()
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    topic: Mapped[Topic] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    reply_to: Mapped[Post | None] = relationship(remote_side=[id])


class PostRevision(db.Model):
    """The body (and title, for opening posts) as it was before an edit."""

    __tablename__ = "forum_post_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_post.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(nullable=False)
    editor_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), nullable=False)
    old_body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    new_body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    old_title: Mapped[str | None] = mapped_column(sa.String(200))
    new_title: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    post: Mapped[Post] = relationship()
    editor: Mapped[User] = relationship()


class PostLike(db.Model):
    __tablename__ = "forum_post_like"

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_post.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class TopicWatch(db.Model):
    __tablename__ = "forum_topic_watch"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        sa.ForeignKey("forum_topic.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class CategoryWatch(db.Model):
    __tablename__ = "forum_category_watch"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("forum_category.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class TopicRead(db.Model):
    """How far a user has read a topic: drives "new", "unread" and jump-to-first-unread."""

    __tablename__ = "forum_topic_read"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        sa.ForeignKey("forum_topic.id", ondelete="CASCADE"), primary_key=True
    )
    last_read_post_number: Mapped[int] = mapped_column(nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class Mention(db.Model):
    __tablename__ = "forum_mention"

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_post.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )


class ForumDraft(db.Model):
    """A post being written, saved as the member types so a closed tab loses nothing.

    One per member and ``scope``: ``topic:<id>`` for a reply, ``category:<id>`` for a
    new topic in a category, ``new`` for a new topic whose category is not chosen yet.
    The foreign keys let a purged topic or category take its drafts with it.
    """

    __tablename__ = "forum_draft"
    __table_args__ = (sa.UniqueConstraint("user_id", "scope", name="uq_forum_draft_user_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    scope: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    topic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forum_topic.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forum_category.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    body: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)


# Drafts show only on their author's pages: saving one must not invalidate anyone
# else's cached pages (an autosave every few seconds would otherwise empty the cache).
register_viewer_table(ForumDraft.__tablename__, "user_id")
