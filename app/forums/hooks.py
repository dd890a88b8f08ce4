"""Core hook implementations of the forums feature (nav items, event listeners)."""

from __future__ import annotations

from typing import Any

from app.core.permissions import is_active_member
from app.forums import drafts
from app.plugins import hookimpl


@hookimpl
def nav_items(actor: Any) -> list[dict]:
    """Latest and Categories for everyone; New topic for members who may post."""
    items = [
        {"label": "Latest", "endpoint": "forums.latest", "order": 10},
        {"label": "Categories", "endpoint": "forums.categories", "order": 20},
    ]
    if is_active_member(actor):
        items.append({"label": "New topic", "endpoint": "forums.new_topic_any", "order": 30})
    return items


@hookimpl
def post_created(post: Any, actor: Any) -> None:
    """Forget the draft the post came from, in the same transaction (every path that
    posts, forum or Q&A, page or API, fires this)."""
    if post.number == 1:
        drafts.discard_drafts_for_post(actor, category=post.topic.category)
    else:
        drafts.discard_drafts_for_post(actor, topic=post.topic)
