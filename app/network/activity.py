"""What members did, as a reader may see it: the ``/following`` feed and the
accepted answers on a profile.

Both read forum posts, so both filter the same way as every forum list: categories
the reader may see (``forums.reading.readable_posts_where``), no hidden or deleted posts or topics,
and a final ``can(reader, "post.view", post)`` so the one permission rule decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.core.permissions import can
from app.core.sanitize import plain_text
from app.extensions import db
from app.forums.models import Post, Topic
from app.forums.reading import readable_posts_where
from app.network.follows import followed_ids
from app.notifications.links import post_url
from app.qa.models import QAAcceptedAnswer, QACategory

FEED_PER_PAGE = 20
FEED_MAX_PAGE = 500
EXCERPT_LENGTH = 200


@dataclass
class FeedItem:
    """One post in the feed; ``kind`` is topic, reply, question or answer."""

    kind: str
    post: Post
    url: str
    excerpt: str
    accepted: bool = False

    @property
    def topic(self) -> Topic:
        return self.post.topic

    @property
    def created_at(self) -> datetime:
        return self.post.created_at


@dataclass
class FeedPage:
    items: list[FeedItem]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def _readable_posts(reader: Any) -> sa.Select:
    """Live posts in live topics of categories ``reader`` may see."""
    return (
        sa.select(Post)
        .join(Topic, Topic.id == Post.topic_id)
        .where(*readable_posts_where(reader))
        .options(selectinload(Post.topic).selectinload(Topic.category), selectinload(Post.author))
    )


def _kind(post: Post, qa_ids: set[int]) -> str:
    if post.topic.category_id in qa_ids:
        return "question" if post.number == 1 else "answer"
    return "topic" if post.number == 1 else "reply"


def followed_activity(reader: Any, page: int = 1, per_page: int = FEED_PER_PAGE) -> FeedPage:
    """Newest topics, replies, questions and answers by the members ``reader`` follows.

    ``page`` must already be a valid page number (the view checks it); the feed pages
    through posts with LIMIT/OFFSET, which is fine for a feed read from the top.
    """
    ids = followed_ids(reader)
    if not ids:
        return FeedPage(items=[], page=page, has_next=False)
    query = (
        _readable_posts(reader)
        .where(Post.author_id.in_(ids))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    )
    posts = list(db.session.scalars(query))
    has_next = len(posts) > per_page
    posts = [post for post in posts[:per_page] if can(reader, "post.view", post)]
    qa_ids = set(db.session.scalars(sa.select(QACategory.category_id)))
    accepted = set(
        db.session.scalars(
            sa.select(QAAcceptedAnswer.post_id).where(QAAcceptedAnswer.post_id.in_([p.id for p in posts]))
        )
    )
    items = [
        FeedItem(
            kind=_kind(post, qa_ids),
            post=post,
            url=post_url(post),
            excerpt=plain_text(post.body, limit=EXCERPT_LENGTH),
            accepted=post.id in accepted,
        )
        for post in posts
    ]
    return FeedPage(items=items, page=page, has_next=has_next)


def recent_accepted_answers(reader: Any, user: Any, limit: int = 10) -> list[Post]:
    """``user``'s accepted answers that ``reader`` may see, newest acceptance first."""
    query = (
        _readable_posts(reader)
        .join(QAAcceptedAnswer, QAAcceptedAnswer.post_id == Post.id)
        .where(Post.author_id == user.id)
        .order_by(QAAcceptedAnswer.accepted_at.desc(), Post.id.desc())
        .limit(limit)
    )
    return [post for post in db.session.scalars(query) if can(reader, "post.view", post)]
