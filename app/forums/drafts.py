"""Drafts: what a member is writing, saved as they type and restored when the editor
opens again, so a closed tab or a dropped connection loses nothing.

A draft belongs to one member and one place (a topic's reply box, a category's new
topic form, the new-topic form with no category chosen). Every function takes the
actor explicitly and only ever reads or writes the actor's own rows: another member's
draft is answered exactly like a missing one (``NotFound``), so its existence leaks
nowhere. Saving needs the right to post where the draft would go.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.core.errors import Invalid, NotFound, PermissionDenied
from app.core.permissions import is_active_member, require
from app.extensions import db
from app.forums.categories import get_category
from app.forums.models import Category, ForumDraft, Topic
from app.forums.posting import BODY_MAX, TITLE_MAX
from app.forums.reading import get_topic

NEW_TOPIC_SCOPE = "new"
# The forms that start a topic before a category is chosen, each with its own draft.
NEW_SCOPES = {"topic": NEW_TOPIC_SCOPE, "question": "new:question"}


@dataclass(frozen=True)
class DraftPlace:
    """Where a draft would be posted: a topic (reply), a category (new topic), or
    neither (the new-topic form before a category is chosen)."""

    scope: str
    topic: Topic | None = None
    category: Category | None = None


def _require_member(actor: Any) -> None:
    if not is_active_member(actor):
        raise PermissionDenied("Sign in with an active account to keep drafts.")


def draft_place(
    actor: Any, topic_id: int | None = None, category_id: int | None = None, new: str = "topic"
) -> DraftPlace:
    """Resolve and authorize the place a draft is for: the actor must be able to see
    it (else 404) and to post there (else 403), so drafts cannot probe private topics."""
    _require_member(actor)
    if topic_id is not None and category_id is not None:
        raise Invalid("A draft is for a topic or a category, not both.")
    if topic_id is not None:
        topic = get_topic(actor, topic_id)
        require(actor, "topic.reply", topic)
        return DraftPlace(scope=f"topic:{topic.id}", topic=topic)
    if category_id is not None:
        category = get_category(actor, category_id)
        require(actor, "topic.create", category)
        return DraftPlace(scope=f"category:{category.id}", category=category)
    if new not in NEW_SCOPES:
        raise Invalid("Unknown kind of draft.", field="new")
    return DraftPlace(scope=NEW_SCOPES[new])


def _own(actor: Any, scope: str) -> ForumDraft | None:
    return db.session.scalar(
        sa.select(ForumDraft).where(ForumDraft.user_id == actor.id, ForumDraft.scope == scope)
    )


def find_draft(actor: Any, place: DraftPlace) -> ForumDraft | None:
    """The actor's own draft for ``place``, if they have one (never anyone else's)."""
    _require_member(actor)
    return _own(actor, place.scope)


def get_draft_by_id(actor: Any, draft_id: int) -> ForumDraft:
    """A draft by id, only for its author: anyone else gets the same 404 as for a
    draft that does not exist."""
    _require_member(actor)
    draft = db.session.get(ForumDraft, draft_id)
    if draft is None or draft.user_id != actor.id:
        raise NotFound("No such draft.")
    return draft


def save_draft(actor: Any, place: DraftPlace, body: Any, title: Any = "") -> ForumDraft | None:
    """Create or replace the actor's draft for ``place``. An empty draft (no body and
    no title) is deleted instead, and ``None`` returned: clearing the box clears it."""
    _require_member(actor)
    if not isinstance(body, str) or not isinstance(title if title is not None else "", str):
        raise Invalid("A draft's body and title must be text.", field="body")
    title = (title or "").strip()
    if len(body) > BODY_MAX:
        raise Invalid(f"A post may hold at most {BODY_MAX:,} characters.", field="body")
    if len(title) > TITLE_MAX:
        raise Invalid(f"A title may hold at most {TITLE_MAX} characters.", field="title")
    if "\x00" in body or "\x00" in title:
        raise Invalid("The draft contains a character that cannot be stored.", field="body")
    draft = _own(actor, place.scope)
    if not body.strip() and not title:
        if draft is not None:
            db.session.delete(draft)
            db.session.flush()
        return None
    if draft is None:
        draft = ForumDraft(
            user_id=actor.id,
            scope=place.scope,
            topic_id=place.topic.id if place.topic is not None else None,
            category_id=place.category.id if place.category is not None else None,
        )
        db.session.add(draft)
    draft.body = body
    draft.title = title
    db.session.flush()
    return draft


def discard_draft(actor: Any, draft: ForumDraft) -> None:
    """Delete one of the actor's drafts (the editor's "Discard draft")."""
    if draft.user_id != getattr(actor, "id", None):
        raise NotFound("No such draft.")
    db.session.delete(draft)
    db.session.flush()


def discard_drafts_for_post(actor: Any, topic: Topic | None = None, category: Category | None = None) -> None:
    """Forget what the actor was writing once it is posted: the reply's topic draft,
    or for a new topic both its category's draft and the category-less one."""
    if getattr(actor, "id", None) is None:
        return
    if topic is not None:
        scopes = [f"topic:{topic.id}"]
    else:
        scopes = [*NEW_SCOPES.values()] + ([f"category:{category.id}"] if category is not None else [])
    db.session.execute(
        sa.delete(ForumDraft)
        .where(ForumDraft.user_id == actor.id, ForumDraft.scope.in_(scopes))
        .execution_options(synchronize_session="fetch", pagecache_users=[actor.id])
    )


def serialize(draft: ForumDraft | None) -> dict:
    if draft is None:
        return {"draft": None}
    return {
        "draft": {
            "id": draft.id,
            "title": draft.title,
            "body": draft.body,
            "updated_at": draft.updated_at.isoformat() + "Z",
        }
    }
