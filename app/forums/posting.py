"""Writing to the forums: topics, replies, edits, soft delete, likes and watches.

Post numbers come from ``forum_topic.highest_post_number``, bumped with a single
``UPDATE … RETURNING`` before the post is inserted. The UPDATE takes the row lock
(PostgreSQL) or the write lock (SQLite), so two concurrent replies can never be given
the same number; the unique constraint ``uq_forum_post_topic_number`` is the backstop.
"""

from __future__ import annotations

import re
import time
import unicodedata
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.core.permissions import can, is_active_member, is_staff, require
from app.core.sanitize import render_markdown
from app.extensions import db
from app.forums.mentions import link_mentions, record_mentions
from app.forums.models import Category, CategoryWatch, Post, PostLike, PostRevision, Topic, TopicWatch
from app.plugins import fire

TITLE_MIN, TITLE_MAX = 3, 200
# Posts, questions and answers: Markdown is rendered within a cost budget sized for this
# (app/core/sanitize.py), and search stores this much of a body.
BODY_MAX = 20_000
LOCK_RETRIES = 20


def slugify(text: str, fallback: str = "topic", limit: int = 80) -> str:
    """An ASCII slug for URLs; titles in other scripts fall back to ``fallback``."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:limit].rstrip("-")
    return slug or fallback


def clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise Invalid(f"The title needs {TITLE_MIN} to {TITLE_MAX} characters.", field="title")
    return title


def clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise Invalid("Write something first: the post is empty.", field="body")
    if len(body) > BODY_MAX:
        raise Invalid(f"A post may hold at most {BODY_MAX:,} characters.", field="body")
    if "\x00" in body:
        raise Invalid("The post contains a character that cannot be stored.", field="body")
    return body


def _require_writer(actor: Any) -> None:
    if not is_active_member(actor):
        raise PermissionDenied("Sign in with an active account to post.")


def _render(body: str) -> tuple[str, list]:
    return link_mentions(render_markdown(body))


def _watch(user_id: int, topic_id: int) -> None:
    exists = db.session.get(TopicWatch, (user_id, topic_id))
    if exists is None:
        db.session.add(TopicWatch(user_id=user_id, topic_id=topic_id))


# --- topics and replies ----------------------------------------------------------


def create_topic(actor: Any, category: Category, title: str, body: str) -> Topic:
    """Open a topic with its first post; the author starts watching it."""
    _require_writer(actor)
    require(actor, "category.view", category, hide=True)
    require(actor, "topic.create", category)
    title = clean_title(title)
    body = clean_body(body)
    body_html, mentioned = _render(body)
    now = utcnow()
    topic = Topic(
        category=category,
        author_id=actor.id,
        title=title,
        slug=slugify(title),
        created_at=now,
        last_posted_at=now,
        last_poster_id=actor.id,
        post_count=1,
        highest_post_number=1,
    )
    db.session.add(topic)
    db.session.flush()
    post = Post(topic=topic, author_id=actor.id, number=1, body=body, body_html=body_html, created_at=now)
    db.session.add(post)
    db.session.flush()
    _watch(actor.id, topic.id)
    record_mentions(post, mentioned, actor)
    fire("topic_created", topic=topic, actor=actor)
    fire("post_created", post=post, actor=actor)
    return topic


def _next_post_number(topic: Topic, actor: Any, now) -> int:
    """Atomically reserve the topic's next post number (and bump its counters)."""
    statement = (
        sa.update(Topic)
        .where(Topic.id == topic.id)
        .values(
            highest_post_number=Topic.highest_post_number + 1,
            post_count=Topic.post_count + 1,
            last_posted_at=now,
            last_poster_id=actor.id,
        )
        .returning(Topic.highest_post_number)
        .execution_options(synchronize_session=False)
    )
    for attempt in range(LOCK_RETRIES):
        try:
            number = db.session.execute(statement).scalar_one()
            break
        except OperationalError as error:
            # SQLite answers "database is locked" when another writer holds the lock
            # longer than the busy timeout; the statement changed nothing, so retry.
            if "locked" not in str(error).lower() or attempt == LOCK_RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    db.session.expire(topic, ["highest_post_number", "post_count", "last_posted_at", "last_poster_id"])
    return number


def create_reply(actor: Any, topic: Topic, body: str, reply_to: Post | None = None) -> Post:
    """Append a post to ``topic``; the author starts watching the topic."""
    _require_writer(actor)
    require(actor, "topic.view", topic, hide=True)
    if topic.deleted_at is not None:
        raise Conflict("This topic has been deleted; restore it before replying.")
    if topic.locked and not is_staff(actor):
        raise PermissionDenied("This topic is locked: no new replies.")
    require(actor, "topic.reply", topic)
    if reply_to is not None and (reply_to.topic_id != topic.id or not can(actor, "post.view", reply_to)):
        raise Invalid("You can only reply to a post in this topic.", field="reply_to")
    body = clean_body(body)
    body_html, mentioned = _render(body)
    now = utcnow()
    number = _next_post_number(topic, actor, now)
    post = Post(
        topic_id=topic.id,
        author_id=actor.id,
        number=number,
        reply_to_id=reply_to.id if reply_to is not None else None,
        body=body,
        body_html=body_html,
        created_at=now,
    )
    db.session.add(post)
    db.session.flush()
    _watch(actor.id, topic.id)
    record_mentions(post, mentioned, actor)
    fire("post_created", post=post, actor=actor)
    return post


# --- edit, delete, restore -------------------------------------------------------


def edit_post(actor: Any, post: Post, body: str, title: str | None = None) -> PostRevision | None:
    """Change a post (and the topic title, for an opening post), keeping the old text.

    Returns the revision, or None when nothing changed.
    """
    require(actor, "post.view", post, hide=True)
    require(actor, "post.edit", post)
    return apply_post_edit(actor, post, body, title)


def apply_post_edit(actor: Any, post: Post, body: str, title: str | None = None) -> PostRevision | None:
    """The edit itself, for callers that have already decided ``actor`` may make it.

    ``edit_post`` uses it after the core permission check; a feature with its own
    privilege (Q&A's "edit others' posts" reputation threshold) calls it after its
    check, so the invariants (revision row, re-rendered HTML, mentions, event) live in
    one place.
    """
    body = clean_body(body)
    topic = post.topic
    new_title = None
    if title is not None and post.number == 1:
        new_title = clean_title(title)
    title_changed = new_title is not None and new_title != topic.title
    if body == post.body and not title_changed:
        return None
    revision = PostRevision(
        post_id=post.id,
        number=post.revision_count + 1,
        editor_id=actor.id,
        old_body=post.body,
        new_body=body,
        old_title=topic.title if title_changed else None,
        new_title=new_title if title_changed else None,
    )
    db.session.add(revision)
    body_html, mentioned = _render(body)
    post.body = body
    post.body_html = body_html
    post.revision_count += 1
    post.edited_at = utcnow()
    if title_changed:
        topic.title = new_title
        topic.slug = slugify(new_title)
    db.session.flush()
    record_mentions(post, mentioned, actor)
    fire("post_edited", post=post, actor=actor, revision=revision)
    return revision


def _refresh_last_post(topic: Topic) -> None:
    last = db.session.execute(
        sa.select(Post.created_at, Post.author_id)
        .where(Post.topic_id == topic.id, Post.deleted_at.is_(None))
        .order_by(Post.number.desc())
        .limit(1)
    ).first()
    if last is not None:
        topic.last_posted_at, topic.last_poster_id = last


def delete_post(actor: Any, post: Post) -> None:
    """Soft-delete a post; deleting the opening post deletes the whole topic."""
    require(actor, "post.view", post, hide=True)
    if post.deleted_at is not None:
        raise Conflict("That post is already deleted.")
    require(actor, "post.delete", post)
    now = utcnow()
    post.deleted_at = now
    post.deleted_by_id = actor.id
    topic = post.topic
    topic.post_count = max(topic.post_count - 1, 0)
    topic.like_count = max(topic.like_count - post.like_count, 0)
    if post.number == 1:
        topic.deleted_at = now
    db.session.flush()
    _refresh_last_post(topic)
    db.session.flush()
    fire("post_deleted", post=post, actor=actor)


def restore_post(actor: Any, post: Post) -> None:
    require(actor, "post.view", post, hide=True)
    require(actor, "post.restore", post)
    if post.deleted_at is None:
        raise Conflict("That post is not deleted.")
    topic = post.topic
    post.deleted_at = None
    post.deleted_by_id = None
    topic.post_count += 1
    topic.like_count += post.like_count
    if post.number == 1:
        topic.deleted_at = None
    db.session.flush()
    _refresh_last_post(topic)
    db.session.flush()
    fire("post_restored", post=post, actor=actor)


# --- likes and watches -----------------------------------------------------------


def toggle_like(actor: Any, post: Post) -> bool:
    """Like or unlike ``post``; returns whether it is now liked. Never your own post."""
    require(actor, "post.view", post, hide=True)
    if getattr(actor, "id", None) == post.author_id:
        raise PermissionDenied("You cannot like your own post.")
    require(actor, "post.like", post)
    existing = db.session.get(PostLike, (post.id, actor.id))
    if existing is not None:
        db.session.delete(existing)
        post.like_count = max(post.like_count - 1, 0)
        post.topic.like_count = max(post.topic.like_count - 1, 0)
        db.session.flush()
        return False
    db.session.add(PostLike(post_id=post.id, user_id=actor.id))
    post.like_count += 1
    post.topic.like_count += 1
    db.session.flush()
    fire("post_liked", post=post, actor=actor)
    return True


def toggle_topic_watch(actor: Any, topic: Topic) -> bool:
    """Start or stop watching a topic; returns whether it is now watched."""
    require(actor, "topic.view", topic, hide=True)
    require(actor, "topic.watch", topic)
    existing = db.session.get(TopicWatch, (actor.id, topic.id))
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
        return False
    db.session.add(TopicWatch(user_id=actor.id, topic_id=topic.id))
    db.session.flush()
    return True


def toggle_category_watch(actor: Any, category: Category) -> bool:
    require(actor, "category.view", category, hide=True)
    require(actor, "category.watch", category)
    existing = db.session.get(CategoryWatch, (actor.id, category.id))
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
        return False
    db.session.add(CategoryWatch(user_id=actor.id, category_id=category.id))
    db.session.flush()
    return True


def get_reply_target(actor: Any, topic: Topic, post_id: int | None) -> Post | None:
    """The post a reply answers, or None; unknown or foreign ids are refused."""
    if not post_id:
        return None
    post = db.session.get(Post, post_id)
    if post is None or post.topic_id != topic.id or not can(actor, "post.view", post):
        raise NotFound("That post is not in this topic.")
    return post


def quote_for_reply(post: Post) -> str:
    """Markdown that quotes ``post`` with an attribution line, for the reply form."""
    lines = post.body.splitlines() or [""]
    quoted = "\n".join(f"> {line}" if line else ">" for line in lines)
    return f"@{post.author.username} wrote in [post #{post.number}](/p/{post.id}):\n\n{quoted}\n\n"
