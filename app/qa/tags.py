"""Tags on questions: validated names, per-viewer counts, follows and descriptions.

Counts and lists only ever include questions the viewer may see (Q&A categories they
can read, live topics), so a restricted category does not leak through a tag count.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from app.core.errors import Invalid, NotFound, PermissionDenied
from app.core.permissions import is_authenticated, is_staff, require
from app.extensions import db
from app.forums.models import Topic
from app.qa.categories import visible_qa_category_ids
from app.qa.models import QATag, QATagFollow, QATopicTag

TAG_RE = re.compile(r"^[a-z0-9][a-z0-9.+#-]{0,29}$")
MIN_TAGS, MAX_TAGS = 1, 5
DESCRIPTION_MAX = 500


def parse_tags(raw: str | list[str] | None) -> list[str]:
    """Split, lowercase and validate; raises Invalid naming the first bad tag."""
    parts = raw if isinstance(raw, list) else re.split(r"[\s,]+", raw or "")
    names: list[str] = []
    for part in parts:
        name = (part or "").strip().lower()
        if not name:
            continue
        if not TAG_RE.match(name):
            shown = name if len(name) <= 40 else name[:39] + "…"
            raise Invalid(
                f"“{shown}” is not a valid tag: use up to 30 lowercase letters, digits and . + # -, "
                "starting with a letter or digit.",
                field="tags",
            )
        if name not in names:
            names.append(name)
    if not MIN_TAGS <= len(names) <= MAX_TAGS:
        raise Invalid(f"Give your question {MIN_TAGS} to {MAX_TAGS} tags.", field="tags")
    return names


def _tag_named(name: str, create: bool) -> QATag | None:
    tag = db.session.scalar(sa.select(QATag).where(QATag.name == name))
    if tag is None and create:
        tag = QATag(name=name)
        db.session.add(tag)
        db.session.flush()
    return tag


def set_topic_tags(topic: Topic, names: list[str]) -> list[QATag]:
    """Replace a question's tags (names already validated by ``parse_tags``)."""
    tags = [_tag_named(name, create=True) for name in names]
    db.session.execute(sa.delete(QATopicTag).where(QATopicTag.topic_id == topic.id))
    for tag in tags:
        db.session.add(QATopicTag(topic_id=topic.id, tag_id=tag.id))
    db.session.flush()
    return tags


def tags_for_topics(topic_ids: list[int]) -> dict[int, list[str]]:
    if not topic_ids:
        return {}
    result: dict[int, list[str]] = {topic_id: [] for topic_id in topic_ids}
    rows = db.session.execute(
        sa.select(QATopicTag.topic_id, QATag.name)
        .join(QATag, QATag.id == QATopicTag.tag_id)
        .where(QATopicTag.topic_id.in_(topic_ids))
        .order_by(QATag.name)
    )
    for topic_id, name in rows:
        result[topic_id].append(name)
    return result


def visible_questions_filter(actor: Any) -> sa.ColumnElement:
    """SQL condition on ``Topic``: a live question in a Q&A category ``actor`` can read."""
    condition = sa.and_(
        Topic.deleted_at.is_(None), Topic.category_id.in_(visible_qa_category_ids(actor) or [-1])
    )
    if not is_staff(actor):
        condition = sa.and_(condition, Topic.hidden.is_(False))
    return condition


def tag_counts(actor: Any) -> list[tuple[QATag, int]]:
    """Every tag with the number of questions ``actor`` can see under it (zero-count
    tags are left out: their name alone could come from a private question)."""
    rows = db.session.execute(
        sa.select(QATag, sa.func.count(Topic.id))
        .join(QATopicTag, QATopicTag.tag_id == QATag.id)
        .join(Topic, Topic.id == QATopicTag.topic_id)
        .where(visible_questions_filter(actor))
        .group_by(QATag.id)
        .order_by(sa.func.count(Topic.id).desc(), QATag.name)
    )
    return [(tag, int(count)) for tag, count in rows]


def get_tag(actor: Any, name: str) -> QATag:
    """A tag the actor can see used (staff see every tag); otherwise 404."""
    tag = db.session.scalar(sa.select(QATag).where(QATag.name == (name or "").lower()))
    if tag is None:
        raise NotFound("No such tag.")
    if is_staff(actor):
        return tag
    used = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(QATopicTag)
        .join(Topic, Topic.id == QATopicTag.topic_id)
        .where(QATopicTag.tag_id == tag.id, visible_questions_filter(actor))
    )
    if not used:
        raise NotFound("No such tag.")
    return tag


def is_following(actor: Any, tag: QATag) -> bool:
    return is_authenticated(actor) and db.session.get(QATagFollow, (actor.id, tag.id)) is not None


def toggle_follow(actor: Any, tag: QATag) -> bool:
    """Follow or unfollow; followers hear about new questions they can see."""
    require(actor, "notifications.view")
    existing = db.session.get(QATagFollow, (actor.id, tag.id))
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
        return False
    db.session.add(QATagFollow(user_id=actor.id, tag_id=tag.id))
    db.session.flush()
    return True


def followed_tags(actor: Any) -> list[QATag]:
    if not is_authenticated(actor):
        return []
    return list(
        db.session.scalars(
            sa.select(QATag)
            .join(QATagFollow, QATagFollow.tag_id == QATag.id)
            .where(QATagFollow.user_id == actor.id)
            .order_by(QATag.name)
        )
    )


def update_description(actor: Any, tag: QATag, description: str) -> QATag:
    """Staff describe what a tag is for (plain text, escaped on output)."""
    if not is_staff(actor) or getattr(actor, "is_suspended", False):
        raise PermissionDenied("Only moderators can describe tags.")
    description = " ".join((description or "").split())
    if len(description) > DESCRIPTION_MAX:
        raise Invalid(
            f"A tag description may hold at most {DESCRIPTION_MAX} characters.", field="description"
        )
    if "\x00" in description:
        raise Invalid("The description contains a character that cannot be stored.", field="description")
    tag.description = description
    db.session.flush()
    return tag


def follower_ids(tag_ids: list[int]) -> set[int]:
    if not tag_ids:
        return set()
    return set(db.session.scalars(sa.select(QATagFollow.user_id).where(QATagFollow.tag_id.in_(tag_ids))))


SUGGEST_LIMIT = 8


def suggest_tags(actor: Any, prefix: str, limit: int = SUGGEST_LIMIT) -> list[tuple[QATag, int]]:
    """Tags starting with ``prefix`` for the editor's #tag autocomplete, most used
    first: only tags on questions ``actor`` can see, as ``tag_counts`` does, so a
    private question's tag is never offered."""
    prefix = (prefix or "").strip().lstrip("#").lower()
    if not prefix or len(prefix) > 30 or not TAG_RE.match(prefix):
        return []
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    count = sa.func.count(Topic.id)
    rows = db.session.execute(
        sa.select(QATag, count)
        .join(QATopicTag, QATopicTag.tag_id == QATag.id)
        .join(Topic, Topic.id == QATopicTag.topic_id)
        .where(QATag.name.like(escaped + "%", escape="\\"), visible_questions_filter(actor))
        .group_by(QATag.id)
        .order_by(count.desc(), QATag.name)
        .limit(max(1, min(limit, SUGGEST_LIMIT)))
    )
    return [(tag, int(n)) for tag, n in rows]
