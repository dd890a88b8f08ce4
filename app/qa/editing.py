"""Editing questions and answers, including the "edit others' posts" privilege.

The core ``can()`` lets plug-in rules only restrict actions it knows, so a reputation
privilege cannot widen ``post.edit``. Members above the threshold therefore edit
through this service: it checks the privilege here, then applies the edit with
``app.forums.services.apply_post_edit`` (revision row, re-rendered HTML, mentions,
``post_edited``). Authors and staff go straight to ``edit_post``.
"""

from __future__ import annotations

from typing import Any

from app.core.errors import Conflict, NotFound, PermissionDenied
from app.core.permissions import can, is_silenced, may_write, require, silenced_message
from app.forums import services as forums
from app.forums.models import Post, PostRevision
from app.qa import reputation
from app.qa.categories import is_question
from app.qa.settings import setting


def may_edit(actor: Any, post: Post) -> bool:
    if can(actor, "post.edit", post):
        return True
    return (
        may_write(actor)
        and can(actor, "post.view", post)
        and post.deleted_at is None
        and not post.hidden
        and not post.topic.locked
        and is_question(post.topic)
        and reputation.has_privilege(actor, "threshold_edit_others")
    )


def edit_qa_post(actor: Any, post: Post, body: str, title: str | None = None) -> PostRevision | None:
    """Edit a question or answer as its author, staff, or a privileged member."""
    require(actor, "post.view", post, hide=True)
    if not is_question(post.topic):
        raise NotFound("That post is not a question or an answer.")
    if can(actor, "post.edit", post):
        return forums.edit_post(actor, post, body, title=title)
    if post.deleted_at is not None:
        raise Conflict("A deleted post cannot be edited.")
    if is_silenced(actor):
        raise PermissionDenied(silenced_message(actor))
    if not may_edit(actor, post):
        raise PermissionDenied(
            f"Editing other people's posts needs {setting('threshold_edit_others')} reputation."
        )
    return forums.apply_post_edit(actor, post, body, title)
