"""Reading the forums: topic lists, topic pages, read state, permalinks and feeds.

Every list filters by the categories the actor may see and hides deleted topics (and,
for non-staff, hidden ones) in SQL, and eager-loads what the templates print, so a page
costs a fixed handful of queries however many topics it shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.core.db import utcnow
from app.core.errors import NotFound
from app.core.pagination import CountedPage
from app.core.permissions import can, is_authenticated, is_staff, require
from app.extensions import db
from app.forums.categories import _require_visible, visible_category_ids
from app.forums.models import (
    Category,
    CategoryWatch,
    Post,
    PostLike,
    PostRevision,
    Topic,
    TopicRead,
    TopicWatch,
)

NEW_TOPIC_DAYS = 14


@dataclass
class Page(CountedPage):
    items: list
    page: int
    per_page: int
    total: int
    extra: dict = field(default_factory=dict)


# --- topic lists -----------------------------------------------------------------


def _listable_topics(actor: Any, category_ids: set[int] | None = None) -> sa.Select:
    ids = visible_category_ids(actor)
    if category_ids is not None:
        ids &= set(category_ids)
    query = sa.select(Topic).where(Topic.deleted_at.is_(None), Topic.category_id.in_(ids or [-1]))
    if not is_staff(actor):
        query = query.where(Topic.hidden.is_(False))
    return query


def _topic_options():
    return (
        selectinload(Topic.author),
        selectinload(Topic.last_poster),
        selectinload(Topic.category).selectinload(Category.parent),
    )


def _paginate_topics(actor: Any, query: sa.Select, order: list, page: int, per_page: int) -> Page:
    page = max(int(page or 1), 1)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    topics = list(
        db.session.scalars(
            query.options(*_topic_options()).order_by(*order).limit(per_page).offset((page - 1) * per_page)
        )
    )
    return Page(topics, page, per_page, total, extra={"read_state": topic_read_state(actor, topics)})


def latest_topics(actor: Any, page: int = 1, per_page: int = 30) -> Page:
    """Newest activity first (served by ``ix_forum_topic_latest``)."""
    return _paginate_topics(
        actor, _listable_topics(actor), [Topic.last_posted_at.desc(), Topic.id.desc()], page, per_page
    )


def category_topics(actor: Any, category: Category, page: int = 1, per_page: int = 30) -> Page:
    """A category's topics (and its subcategories'), pinned first, then newest activity."""
    require(actor, "category.view", category, hide=True)
    ids = {category.id} | {child.id for child in category.children}
    return _paginate_topics(
        actor,
        _listable_topics(actor, ids),
        [Topic.pinned.desc(), Topic.last_posted_at.desc(), Topic.id.desc()],
        page,
        per_page,
    )


def new_topics(actor: Any, page: int = 1, per_page: int = 30) -> Page:
    """Topics from the last fortnight the actor has never opened."""
    since = utcnow() - timedelta(days=NEW_TOPIC_DAYS)
    query = (
        _listable_topics(actor)
        .outerjoin(TopicRead, sa.and_(TopicRead.topic_id == Topic.id, TopicRead.user_id == actor.id))
        .where(Topic.created_at >= since, TopicRead.topic_id.is_(None))
    )
    return _paginate_topics(actor, query, [Topic.created_at.desc(), Topic.id.desc()], page, per_page)


def unread_topics(actor: Any, page: int = 1, per_page: int = 30) -> Page:
    """Topics the actor has opened that gained posts since."""
    query = (
        _listable_topics(actor)
        .join(TopicRead, sa.and_(TopicRead.topic_id == Topic.id, TopicRead.user_id == actor.id))
        .where(Topic.highest_post_number > TopicRead.last_read_post_number)
    )
    return _paginate_topics(actor, query, [Topic.last_posted_at.desc(), Topic.id.desc()], page, per_page)


def topic_read_state(actor: Any, topics: list[Topic]) -> dict[int, dict]:
    """Badges for a page of topics from one query: ``{"new": bool, "unread": int}``."""
    if not is_authenticated(actor) or not topics:
        return {}
    reads = dict(
        db.session.execute(
            sa.select(TopicRead.topic_id, TopicRead.last_read_post_number).where(
                TopicRead.user_id == actor.id, TopicRead.topic_id.in_([t.id for t in topics])
            )
        ).all()
    )
    since = utcnow() - timedelta(days=NEW_TOPIC_DAYS)
    state: dict[int, dict] = {}
    for topic in topics:
        if topic.id not in reads:
            state[topic.id] = {"new": topic.created_at >= since, "unread": 0}
        else:
            state[topic.id] = {"new": False, "unread": max(topic.highest_post_number - reads[topic.id], 0)}
    return state


# --- one topic -------------------------------------------------------------------


def get_topic(actor: Any, topic_id: int) -> Topic:
    topic = db.session.get(Topic, topic_id)
    if topic is None:
        raise NotFound("No such topic.")
    _require_visible(actor, "topic.view", topic, "No such topic.")
    return topic


def get_post(actor: Any, post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound("No such post.")
    _require_visible(actor, "topic.view", post.topic, "No such post.")
    if post.hidden and not can(actor, "post.view", post):
        raise NotFound("No such post.")
    return post


def _shown_posts(actor: Any, topic: Topic) -> sa.Select:
    """Posts listed on the topic page: deleted ones stay as placeholders, hidden ones
    only for those allowed to see them (staff and the author)."""
    query = sa.select(Post).where(Post.topic_id == topic.id)
    if not is_staff(actor):
        visible_hidden = Post.author_id == actor.id if is_authenticated(actor) else sa.false()
        query = query.where(sa.or_(Post.hidden.is_(False), visible_hidden))
    return query


def topic_posts(actor: Any, topic: Topic, page: int = 1, per_page: int = 20, *, eager: bool = True) -> Page:
    """A page of the topic's posts in number order, with authors and likes loaded.

    ``eager=False`` skips loading authors and replied-to posts, for a caller that
    loads them itself only when needed (the topic page's cached post headers)."""
    require(actor, "topic.view", topic, hide=True)
    query = _shown_posts(actor, topic)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(math.ceil(total / per_page), 1)
    page = min(max(int(page or 1), 1), pages)
    if eager:
        query = query.options(
            selectinload(Post.author), selectinload(Post.reply_to).selectinload(Post.author)
        )
    posts = list(
        db.session.scalars(query.order_by(Post.number).limit(per_page).offset((page - 1) * per_page))
    )
    liked: set[int] = set()
    if is_authenticated(actor) and posts:
        liked = set(
            db.session.scalars(
                sa.select(PostLike.post_id).where(
                    PostLike.user_id == actor.id, PostLike.post_id.in_([p.id for p in posts])
                )
            )
        )
    return Page(posts, page, per_page, total, extra={"liked": liked})


def post_page(actor: Any, post: Post, per_page: int = 20) -> int:
    """Which page of its topic ``post`` appears on for ``actor``."""
    before = db.session.scalar(
        sa.select(sa.func.count()).select_from(
            _shown_posts(actor, post.topic).where(Post.number < post.number).subquery()
        )
    )
    return (before or 0) // per_page + 1


def first_unread_post(actor: Any, topic: Topic) -> Post | None:
    """The first post after the actor's read marker (or the last post if all read)."""
    require(actor, "topic.view", topic, hide=True)
    last_read = 0
    if is_authenticated(actor):
        read = db.session.get(TopicRead, (actor.id, topic.id))
        last_read = read.last_read_post_number if read else 0
    shown = _shown_posts(actor, topic)
    post = db.session.scalar(shown.where(Post.number > last_read).order_by(Post.number).limit(1))
    if post is None:
        post = db.session.scalar(shown.order_by(Post.number.desc()).limit(1))
    return post


def mark_read(actor: Any, topic: Topic, post_number: int) -> None:
    """Move the actor's read marker forward (never back) to ``post_number``.

    One upsert statement, so the same member opening a topic in two tabs at once
    cannot collide on the primary key. Re-reading a topic (the common case) first
    finds the marker already there and writes nothing: on SQLite even an upsert that
    changes no row takes the database's write lock, which every other writer waits for.
    """
    if not is_authenticated(actor) or post_number <= 0:
        return
    current = db.session.scalar(
        sa.select(TopicRead.last_read_post_number).where(
            TopicRead.user_id == actor.id, TopicRead.topic_id == topic.id
        )
    )
    if current is not None and current >= post_number:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        # The dialect's own upsert, picked per connection.
        from sqlalchemy.dialects.postgresql import insert
    else:
        # The dialect's own upsert, picked per connection.
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(TopicRead).values(
        user_id=actor.id, topic_id=topic.id, last_read_post_number=post_number, updated_at=utcnow()
    )
    statement = statement.on_conflict_do_update(
        index_elements=[TopicRead.user_id, TopicRead.topic_id],
        set_={"last_read_post_number": statement.excluded.last_read_post_number, "updated_at": utcnow()},
        where=TopicRead.last_read_post_number < statement.excluded.last_read_post_number,
    )
    # Only this member's pages show the marker (app/core/pagecache.py).
    db.session.execute(statement.execution_options(pagecache_users=[actor.id]))


def is_watching_topic(actor: Any, topic: Topic) -> bool:
    return is_authenticated(actor) and db.session.get(TopicWatch, (actor.id, topic.id)) is not None


def is_watching_category(actor: Any, category: Category) -> bool:
    return is_authenticated(actor) and db.session.get(CategoryWatch, (actor.id, category.id)) is not None


def watchers_of(topic: Topic) -> list[User]:
    """Users watching ``topic`` directly or through its category (or parent category),
    limited to those who may still read it. For the notifications engine."""
    category_ids = [topic.category_id]
    if topic.category.parent_id is not None:
        category_ids.append(topic.category.parent_id)
    topic_watchers = sa.select(TopicWatch.user_id).where(TopicWatch.topic_id == topic.id)
    category_watchers = sa.select(CategoryWatch.user_id).where(CategoryWatch.category_id.in_(category_ids))
    users = db.session.scalars(
        sa.select(User)
        .where(sa.or_(User.id.in_(topic_watchers), User.id.in_(category_watchers)))
        .order_by(User.id)
    )
    return [user for user in users if can(user, "topic.view", topic)]


def readable_posts_where(reader: Any) -> list[sa.ColumnElement[bool]]:
    """Live posts in live topics of categories ``reader`` may see: the filter of every
    list of posts outside a topic page (the statement joins ``Topic`` on the post)."""
    return [
        Post.deleted_at.is_(None),
        Post.hidden.is_(False),
        Topic.deleted_at.is_(None),
        Topic.hidden.is_(False),
        Topic.category_id.in_(sorted(visible_category_ids(reader)) or [-1]),
    ]


def recent_posts_for_profile(actor: Any, user: User, limit: int = 10) -> list[Post]:
    """``user``'s newest posts that ``actor`` may read, for profile pages."""
    query = (
        sa.select(Post)
        .join(Topic, Topic.id == Post.topic_id)
        .where(Post.author_id == user.id, *readable_posts_where(actor))
        .options(selectinload(Post.topic).selectinload(Topic.category), selectinload(Post.author))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(limit)
    )
    return [post for post in db.session.scalars(query) if can(actor, "post.view", post)]


def post_revisions(actor: Any, post: Post) -> list[PostRevision]:
    require(actor, "post.history", post, hide=True)
    return list(
        db.session.scalars(
            sa.select(PostRevision)
            .where(PostRevision.post_id == post.id)
            .options(selectinload(PostRevision.editor))
            .order_by(PostRevision.number)
        )
    )
