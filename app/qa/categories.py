"""Which forum categories are Q&A, and whether they allow several accepted answers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.core.errors import NotFound
from app.core.permissions import can, require
from app.extensions import db
from app.forums.categories import visible_categories
from app.forums.models import Category, Topic
from app.plugins import fire
from app.qa.models import QACategory


def qa_category_ids() -> set[int]:
    return set(db.session.scalars(sa.select(QACategory.category_id)))


def qa_settings_for(category_id: int) -> QACategory | None:
    return db.session.get(QACategory, category_id)


def is_question(topic: Topic) -> bool:
    return qa_settings_for(topic.category_id) is not None


def visible_qa_category_ids(actor: Any) -> set[int]:
    """Q&A categories ``actor`` may see: the filter under every Q&A list and count."""
    ids = qa_category_ids()
    if not ids:
        return set()
    return {category.id for category in visible_categories(actor) if category.id in ids}


def askable_categories(actor: Any) -> list[Category]:
    """Q&A categories ``actor`` may open a question in, for the ask form."""
    ids = qa_category_ids()
    return [c for c in visible_categories(actor) if c.id in ids and can(actor, "topic.create", c)]


def set_qa_category(actor: Any, category: Category, enabled: bool, multiple_accepted: bool = False) -> None:
    """Mark (or unmark) a category as Q&A; admins only.

    Turning Q&A on or off changes what every topic of the category is (a question or
    a topic, its replies answers or posts), so it is announced as ``category_updated``:
    search re-indexes the category in this transaction's queue.
    """
    require(actor, "category.manage")
    row = db.session.get(QACategory, category.id)
    if not enabled:
        if row is not None:
            db.session.delete(row)
            db.session.flush()
            fire("category_updated", category=category, actor=actor)
        db.session.flush()
        return
    if row is None:
        db.session.add(QACategory(category_id=category.id, multiple_accepted=bool(multiple_accepted)))
        db.session.flush()
        fire("category_updated", category=category, actor=actor)
    else:
        row.multiple_accepted = bool(multiple_accepted)
    db.session.flush()


def category_by_slug(slug: str) -> Category:
    category = db.session.scalar(sa.select(Category).where(Category.slug == slug))
    if category is None:
        raise NotFound(f"No category with slug {slug!r}.")
    return category
