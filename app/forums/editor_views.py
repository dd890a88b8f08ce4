"""The editor's JSON endpoints: preview and drafts (on the forums blueprint).

Called by ``static/js/editor.js`` with the CSRF token in the ``X-CSRFToken`` header.
Each answers JSON, errors included (``{"error", "field"}`` with a 4xx status), so the
editor can show the message beside the box; the services decide who may do what.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app, jsonify, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from app.core.errors import DomainError, Invalid
from app.core.params import parse_id
from app.extensions import db, limiter
from app.forums import drafts, preview
from app.forums.views import bp


def _actor() -> Any:
    return current_user._get_current_object()


def _editor_key() -> str:
    """Per account, not per browser session; the address for visitors."""
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


# Preview renders Markdown (CPU) and autosave writes a row: both are limited per
# account, generously enough for a debounced editor and no further.
editor_limit = limiter.shared_limit(
    lambda: current_app.config.get("EDITOR_RATE_LIMIT", "60 per minute"),
    scope="forum-editor",
    key_func=_editor_key,
)


def json_endpoint(view: Callable) -> Callable:
    """Answer a ``DomainError`` as JSON with its status, after rolling back."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except DomainError as error:
            db.session.rollback()
            return jsonify(error=error.message, field=error.field), error.status_code

    return wrapper


def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid("Send a JSON object.")
    return data


def _place() -> drafts.DraftPlace:
    topic_id = parse_id(request.args.get("topic"), name="topic")
    category_id = parse_id(request.args.get("category"), name="category")
    new = request.args.get("new", "topic")
    return drafts.draft_place(_actor(), topic_id=topic_id, category_id=category_id, new=new)


@bp.post("/editor/preview")
@editor_limit
@json_endpoint
def editor_preview():
    html = preview.render_preview(_actor(), _json_body().get("body"))
    db.session.rollback()  # mention lookups only; nothing to keep
    return jsonify(html=html)


@bp.get("/drafts")
@json_endpoint
def draft_for_place():
    # Having no draft yet is the usual case, not an error: ``{"draft": null}``.
    return jsonify(drafts.serialize(drafts.find_draft(_actor(), _place())))


@bp.put("/drafts")
@editor_limit
@json_endpoint
def save_draft():
    data = _json_body()
    draft = drafts.save_draft(_actor(), _place(), data.get("body"), data.get("title") or "")
    db.session.commit()
    return jsonify(drafts.serialize(draft))


@bp.get("/drafts/<int:draft_id>")
@json_endpoint
def draft_by_id(draft_id: int):
    return jsonify(drafts.serialize(drafts.get_draft_by_id(_actor(), draft_id)))


@bp.delete("/drafts/<int:draft_id>")
@json_endpoint
def discard_draft(draft_id: int):
    actor = _actor()
    drafts.discard_draft(actor, drafts.get_draft_by_id(actor, draft_id))
    db.session.commit()
    return jsonify(ok=True)
