"""Core hook implementations of the forums feature (nav items, event listeners)."""

from __future__ import annotations

from typing import Any

from flask import render_template, url_for

from app.core import live
from app.core.permissions import can, is_active_member
from app.extensions import db
from app.forums import drafts, services, spaces
from app.forums.forms import EmptyForm
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


WELCOME_CATEGORY_LIMIT = 6
INTRODUCTIONS_SLUG = "introductions"


@hookimpl
def template_panel(name: str, context: dict) -> str | None:
    """The welcome page's forum steps: a few categories to follow, and where to
    introduce yourself (when an "introductions" category exists and the member may post);
    and a member's recent posts on their profile (``profile_posts``)."""
    if name == "profile_posts" and context.get("user") is not None:
        return render_template(
            "forums/_profile_posts.html", recent_posts=_recent_posts(context.get("viewer"), context["user"])
        )
    if name != "welcome_page":
        return None
    viewer = context.get("viewer")
    if not is_active_member(viewer):
        return None
    categories = [c for c in services.visible_categories(viewer) if c.parent_id is None]
    intro = next((c for c in categories if c.slug == INTRODUCTIONS_SLUG), None)
    suggestions = [c for c in categories if c is not intro][:WELCOME_CATEGORY_LIMIT]
    return render_template(
        "forums/_welcome_panel.html",
        categories=[(c, services.is_watching_category(viewer, c)) for c in suggestions],
        intro=intro if intro is not None and can(viewer, "topic.create", intro) else None,
        form=EmptyForm(),
    )


def _recent_posts(viewer: Any, user: Any) -> list[dict]:
    """The member's recent posts ``viewer`` may read, one line per topic (its newest
    post): several replies in one thread listed the same title over and over (issue 20)."""
    items = []
    seen_topics: set[int] = set()
    for post in services.recent_posts_for_profile(viewer, user, limit=40):
        if post.topic_id in seen_topics:
            continue
        seen_topics.add(post.topic_id)
        items.append(
            {
                "title": post.topic.title,
                "url": url_for("forums.post_link", post_id=post.id),
                "created_at": post.created_at,
                "started": post.number == 1,
            }
        )
        if len(items) == 10:
            break
    return items


@hookimpl
def periodic_jobs(app: Any) -> list[dict]:
    """Plug-ins make their spaces' categories at once through ``ensure_forum_space``;
    this catches any they missed (a scope made by a raw import, a plug-in enabled on a
    site that already has councils)."""
    return [
        {
            "name": "forums.sync-spaces",
            "func": spaces.sync_forum_spaces,
            "every": 300,
            "description": "Make the private forum category of every plug-in space that has none yet",
        }
    ]
