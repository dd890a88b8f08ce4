"""The uploads feature's hook implementations: a saved post claims its attachments."""

from __future__ import annotations

from typing import Any

from app.plugins import hookimpl
from app.uploads import services


@hookimpl
def post_created(post: Any, actor: Any) -> None:
    """Forum replies, topics, Q&A questions and answers all fire this, in the post's
    own transaction: the attachment's privacy changes exactly when the post lands."""
    services.link_post_uploads(post, actor)


@hookimpl
def post_edited(post: Any, actor: Any, revision: Any) -> None:
    services.link_post_uploads(post, actor)
