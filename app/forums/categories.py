"""Categories: one level of nesting, access policies, and the visible-category index.

Lists filter topics by the set of category ids the actor may see. Categories are few
(tens, not thousands), so deciding visibility in Python through ``can()`` keeps the one
permission rule authoritative and costs a single small query.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from app.core.errors import Conflict, Invalid, NotFound
from app.core.permissions import can, parse_policy, require
from app.extensions import db
from app.forums.models import Category, Topic
from app.plugins import fire

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
POLICY_FIELDS = ("view_policy", "topic_policy", "reply_policy")


def all_categories() -> list[Category]:
    """Every category, in position order, in one query.

    ``category.parent`` needs no second query: a many-to-one load by primary key looks
    in the session's identity map first, and every parent is in this very result.
    """
    return list(db.session.scalars(sa.select(Category).order_by(Category.position, Category.id)))


def visible_categories(actor: Any) -> list[Category]:
    """Every category ``actor`` may see (a child is hidden when its parent is)."""
    return [category for category in all_categories() if can(actor, "category.view", category)]


def visible_category_ids(actor: Any) -> set[int]:
    return {category.id for category in visible_categories(actor)}


def _require_visible(actor: Any, action: str, obj: Any, missing: str) -> None:
    """``require(..., hide=True)`` whose 404 reads word for word like a missing one's: a
    private category (a council's forum) must not be told apart by its error page."""
    try:
        require(actor, action, obj, hide=True)
    except NotFound:
        raise NotFound(missing) from None


def get_category_by_slug(actor: Any, slug: str) -> Category:
    """The category, or NotFound both when it does not exist and when it is private."""
    category = db.session.scalar(sa.select(Category).where(Category.slug == slug))
    if category is None:
        raise NotFound("No such category.")
    _require_visible(actor, "category.view", category, "No such category.")
    return category


def get_category(actor: Any, category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound("No such category.")
    _require_visible(actor, "category.view", category, "No such category.")
    return category


def category_tree(actor: Any) -> list[tuple[Category, list[Category]]]:
    """Visible top-level categories, each with its visible children, in position order."""
    visible = visible_categories(actor)
    tops = [c for c in visible if c.parent_id is None]
    return [(top, [c for c in visible if c.parent_id == top.id]) for top in tops]


def topic_counts(actor: Any, category_ids: set[int] | list[int]) -> dict[int, int]:
    """Topics per category that ``actor`` would see in a list, in one GROUP BY."""
    if not category_ids:
        return {}
    query = (
        sa.select(Topic.category_id, sa.func.count())
        .where(Topic.category_id.in_(list(category_ids)), Topic.deleted_at.is_(None))
        .group_by(Topic.category_id)
    )
    if not getattr(actor, "is_staff", False):
        query = query.where(Topic.hidden.is_(False))
    return {category_id: count for category_id, count in db.session.execute(query)}


def _clean(
    name: str, slug: str, description: str, position: int | None, policies: dict[str, str]
) -> dict[str, Any]:
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        raise Invalid("A category name needs 1 to 80 characters.", field="name")
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug) or len(slug) > 80:
        raise Invalid("The slug may hold lowercase letters, digits and single hyphens.", field="slug")
    values: dict[str, Any] = {
        "name": name,
        "slug": slug,
        "description": (description or "").strip(),
        "position": int(position or 0),
    }
    for field in POLICY_FIELDS:
        try:
            values[field] = parse_policy(policies.get(field) or "")
        except ValueError:
            raise Invalid(
                'An access policy is "everyone", "members" or a comma list of roles '
                "(member, mentor, moderator, admin).",
                field=field,
            )
    return values


SPACE_LOCKED = (
    "This category is a private space of the {owner} plug-in: who may read it follows "
    "{owner} membership, so its access, place and name cannot be changed here."
)


def space_locked_message(category: Category) -> str:
    return SPACE_LOCKED.format(owner=category.space_type)


def _check_not_space(category: Category) -> None:
    """A plug-in's space keeps the shape forums gave it: re-policied it could leak, moved
    under a public parent it would still be private but confusing, and its name follows
    the plug-in's. The admin pages say so instead of saving."""
    if category.is_space:
        raise Invalid(space_locked_message(category))


def _check_parent(category: Category | None, parent: Category | None) -> None:
    if parent is None:
        return
    if parent.is_space:
        raise Invalid(
            "A plug-in's private space cannot hold subcategories: choose another parent.", field="parent"
        )
    if parent.parent_id is not None:
        raise Invalid(
            "Categories nest one level only: choose a top-level category as the parent.", field="parent"
        )
    if category is not None:
        if parent.id == category.id:
            raise Invalid("A category cannot be its own parent.", field="parent")
        has_children = db.session.scalar(
            sa.select(sa.func.count()).select_from(Category).where(Category.parent_id == category.id)
        )
        if has_children:
            raise Invalid(
                "This category has subcategories, so it must stay top-level "
                "(categories nest one level only).",
                field="parent",
            )


def _check_slug_free(slug: str, category_id: int | None = None) -> None:
    query = sa.select(Category.id).where(Category.slug == slug)
    if category_id is not None:
        query = query.where(Category.id != category_id)
    if db.session.scalar(query) is not None:
        raise Conflict("Another category already uses that slug.", field="slug")


def create_category(
    actor: Any,
    name: str,
    slug: str,
    description: str = "",
    parent: Category | None = None,
    position: int | None = 0,
    view_policy: str = "everyone",
    topic_policy: str = "members",
    reply_policy: str = "members",
) -> Category:
    require(actor, "category.manage")
    values = _clean(
        name,
        slug,
        description,
        position,
        {"view_policy": view_policy, "topic_policy": topic_policy, "reply_policy": reply_policy},
    )
    _check_parent(None, parent)
    _check_slug_free(values["slug"])
    category = Category(parent=parent, **values)
    db.session.add(category)
    db.session.flush()
    fire("category_created", category=category, actor=actor)
    return category


def update_category(
    actor: Any,
    category: Category,
    name: str,
    slug: str,
    description: str = "",
    parent: Category | None = None,
    position: int | None = 0,
    view_policy: str = "everyone",
    topic_policy: str = "members",
    reply_policy: str = "members",
) -> Category:
    require(actor, "category.manage")
    require(actor, "category.view", category, hide=True)  # a space's outsiders: 404
    _check_not_space(category)
    values = _clean(
        name,
        slug,
        description,
        position,
        {"view_policy": view_policy, "topic_policy": topic_policy, "reply_policy": reply_policy},
    )
    _check_parent(category, parent)
    _check_slug_free(values["slug"], category.id)
    for key, value in values.items():
        setattr(category, key, value)
    category.parent = parent
    db.session.flush()
    fire("category_updated", category=category, actor=actor)
    return category
