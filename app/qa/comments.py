"""Short comments under a question or an answer (asking for detail, pointing at docs).

Markdown-lite: rendered with ``render_markdown`` once on write, stored as ``body_html``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.core.permissions import can, is_active_member, is_staff, require
from app.core.sanitize import render_markdown
from app.extensions import db
from app.forums.models import Post
from app.plugins import fire
from app.qa.categories import is_question
from app.qa.models import QAComment

COMMENT_MAX = 600


def clean_comment(body: str) -> str:
    body = " ".join((body or "").split())
    if not body:
        raise Invalid("Write something first: the comment is empty.", field="body")
    if len(body) > COMMENT_MAX:
        raise Invalid(f"A comment may hold at most {COMMENT_MAX} characters.", field="body")
    if "\x00" in body:
        raise Invalid("The comment contains a character that cannot be stored.", field="body")
    return body


def may_comment(actor: Any, post: Post) -> bool:
    return can(actor, "post.comment", post)


def add_comment(actor: Any, post: Post, body: str) -> QAComment:
    if not is_active_member(actor):
        raise PermissionDenied("Sign in with an active account to comment.")
    require(actor, "post.view", post, hide=True)
    if not is_question(post.topic):
        raise NotFound("That post is not a question or an answer.")
    if post.deleted_at is not None or post.topic.deleted_at is not None:
        raise Conflict("You cannot comment on a deleted post.")
    if post.topic.locked and not is_staff(actor):
        raise PermissionDenied("This question is locked: no new comments.")
    require(actor, "post.comment", post)  # a silenced member is told so
    body = clean_comment(body)
    comment = QAComment(post_id=post.id, author_id=actor.id, body=body, body_html=render_markdown(body))
    db.session.add(comment)
    db.session.flush()
    fire("comment_added", comment=comment, post=post, actor=actor)
    return comment


def get_comment(actor: Any, comment_id: int) -> QAComment:
    comment = db.session.get(QAComment, comment_id)
    if comment is None or comment.deleted_at is not None:
        raise NotFound("No such comment.")
    post = db.session.get(Post, comment.post_id)
    require(actor, "post.view", post, hide=True)
    return comment


def delete_comment(actor: Any, comment: QAComment) -> None:
    """Soft-delete; the author or staff."""
    if not is_active_member(actor) or not (is_staff(actor) or comment.author_id == actor.id):
        raise PermissionDenied("You can only delete your own comments.")
    comment.deleted_at = utcnow()
    db.session.flush()


def comments_for(post_ids: list[int]) -> dict[int, list[QAComment]]:
    """Live comments per post, oldest first, authors loaded: one query per page."""
    result: dict[int, list[QAComment]] = {post_id: [] for post_id in post_ids}
    if not post_ids:
        return result
    rows = db.session.scalars(
        sa.select(QAComment)
        .where(QAComment.post_id.in_(post_ids), QAComment.deleted_at.is_(None))
        .options(selectinload(QAComment.author))
        .order_by(QAComment.created_at, QAComment.id)
    )
    for comment in rows:
        result[comment.post_id].append(comment)
    return result
