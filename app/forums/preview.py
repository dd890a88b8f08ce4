"""The editor's preview: a post's Markdown rendered exactly as it would be stored.

It goes through the same path as a saved post (``render_markdown`` from the one
sanitizer, then @mention linking, which re-sanitizes), so what the preview shows is
what the post will show, and nothing the sanitizer would strip can run in it.
Nothing is stored and no one is notified.
"""

from __future__ import annotations

from typing import Any

from app.core.errors import Invalid, PermissionDenied
from app.core.permissions import is_active_member
from app.core.sanitize import render_markdown
from app.forums.mentions import link_mentions
from app.forums.posting import BODY_MAX


def render_preview(actor: Any, body: Any) -> str:
    """Sanitized HTML for ``body``; only active members may render (it costs CPU)."""
    if not is_active_member(actor):
        raise PermissionDenied("Sign in with an active account to preview posts.")
    if not isinstance(body, str):
        raise Invalid("The text to preview is missing.", field="body")
    if len(body) > BODY_MAX:
        raise Invalid(f"A post may hold at most {BODY_MAX:,} characters.", field="body")
    if "\x00" in body:
        raise Invalid("The post contains a character that cannot be stored.", field="body")
    html, _mentioned = link_mentions(render_markdown(body))
    return html
