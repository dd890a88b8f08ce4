"""The review queue with what a moderator needs to decide in one click: the post in
its topic (with the post or two before it), the reporters' reasons, and the author's
record (flags upheld before, suspensions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.forums.models import Post
from app.moderation.members import AuthorRecord, author_records
from app.moderation.services import QueueItem, may_suspend, review_queue

CONTEXT_POSTS = 2


@dataclass
class QueueEntry:
    item: QueueItem
    record: AuthorRecord
    before: list[Post] = field(default_factory=list)
    # Whether this moderator may suspend the author (not an admin, not themselves, …):
    # the "hide and suspend" outcome is offered only then.
    may_suspend_author: bool = False


def _posts_before(post: Post) -> list[Post]:
    """The visible posts just before ``post`` in its topic, oldest first (one indexed
    query per flagged post; the queue holds a handful)."""
    if post.number <= 1:
        return []
    rows = db.session.scalars(
        sa.select(Post)
        .where(
            Post.topic_id == post.topic_id,
            Post.number < post.number,
            Post.deleted_at.is_(None),
            Post.hidden.is_(False),
        )
        .order_by(Post.number.desc())
        .limit(CONTEXT_POSTS)
    ).all()
    return list(reversed(rows))


def queue_in_context(actor: Any, limit: int = 100) -> list[QueueEntry]:
    """The review queue (staff only, checked by ``review_queue``) with context."""
    items = review_queue(actor, limit=limit)
    records = author_records({item.post.author_id for item in items})
    return [
        QueueEntry(
            item=item,
            record=records[item.post.author_id],
            before=_posts_before(item.post),
            may_suspend_author=may_suspend(actor, item.post.author),
        )
        for item in items
    ]
