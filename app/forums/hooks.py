"""Core hook implementations of the forums feature (nav items, event listeners)."""

from __future__ import annotations

from typing import Any

from app.core import live
from app.core.permissions import can, is_active_member
from app.extensions import db
from app.forums import drafts
from app.forums.models import Topic
from app.plugins import hookimpl

# The live event a topic page's watchers get for each new reply (static/js/live.js).
TOPIC_REPLY_EVENT = "topic_reply"


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
    posts, forum or Q&A, page or API, fires this); and once the reply is committed,
    tell the members who have its topic open."""
    if post.number == 1:
        drafts.discard_drafts_for_post(actor, category=post.topic.category)
        return
    drafts.discard_drafts_for_post(actor, topic=post.topic)
    # Ids and numbers only: the room holds just members allowed to see the topic, and
    # the page fetches the posts themselves through the normal, permission-checked view.
    payload = {
        "topic_id": post.topic_id,
        "post_id": post.id,
        "post_number": post.number,
        "author_id": post.author_id,
    }
    live.emit_after_commit(db.session, TOPIC_REPLY_EVENT, payload, live.page_room("topic", post.topic_id))


@hookimpl
def live_room(actor: Any, kind: str, object_id: int) -> bool | None:
    """A topic page's live room is for those who may read the topic."""
    if kind != "topic":
        return None
    topic = db.session.get(Topic, object_id)
    return topic is not None and can(actor, "topic.view", topic)
