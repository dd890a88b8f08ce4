"""@mentions: link ``@username`` in rendered posts and record who was mentioned.

We work on the sanitized HTML rather than on the Markdown source so that a mention
inside a code span, a code block or an existing link is left alone, and so that the
result can be run through the sanitizer once more before it is stored.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from markupsafe import escape

from app.accounts.models import User
from app.core.permissions import can
from app.core.sanitize import clean_html
from app.extensions import db
from app.forums.models import Mention, Post
from app.plugins import fire

MENTION_RE = re.compile(r"(?<![\w@/.&])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,38}[A-Za-z0-9_])?)")
_TAG_RE = re.compile(r"(<[^>]*>)")
_TAG_NAME_RE = re.compile(r"^</?\s*([a-zA-Z0-9]+)")
_SKIP_TAGS = {"code", "pre", "a"}


def _text_segments(html: str) -> list[tuple[str, bool]]:
    """Split HTML into (piece, is_linkable_text) pairs, skipping code, pre and links."""
    depth = 0
    pieces: list[tuple[str, bool]] = []
    for piece in _TAG_RE.split(html):
        if not piece:
            continue
        if piece.startswith("<"):
            match = _TAG_NAME_RE.match(piece)
            name = match.group(1).lower() if match else ""
            if name in _SKIP_TAGS and not piece.endswith("/>"):
                depth += -1 if piece.startswith("</") else 1
                depth = max(depth, 0)
            pieces.append((piece, False))
        else:
            pieces.append((piece, depth == 0))
    return pieces


def _users_by_name(names: set[str]) -> dict[str, User]:
    if not names:
        return {}
    lowered = {name.lower() for name in names}
    users = db.session.scalars(sa.select(User).where(sa.func.lower(User.username).in_(lowered)))
    return {user.username.lower(): user for user in users}


def link_mentions(html: str) -> tuple[str, list[User]]:
    """Return ``html`` with existing users' @mentions linked, and those users."""
    segments = _text_segments(html)
    names = {m.group(1) for piece, text in segments if text for m in MENTION_RE.finditer(piece)}
    users = _users_by_name(names)
    if not users:
        return html, []
    found: dict[int, User] = {}

    def replace(match: re.Match) -> str:
        user = users.get(match.group(1).lower())
        if user is None:
            return match.group(0)
        found[user.id] = user
        href = "/u/" + quote(user.username, safe="")
        return f'<a class="mention" href="{escape(href)}">@{escape(user.username)}</a>'

    out = [MENTION_RE.sub(replace, piece) if text else piece for piece, text in segments]
    return clean_html("".join(out)), list(found.values())


def record_mentions(post: Post, users: list[User], actor: Any) -> list[User]:
    """Store Mention rows for users not yet mentioned in ``post`` and notify those who
    can read it (never the author). Returns the users notified."""
    existing = set(db.session.scalars(sa.select(Mention.user_id).where(Mention.post_id == post.id)))
    notified: list[User] = []
    for user in users:
        if user.id in existing or user.id == post.author_id:
            continue
        db.session.add(Mention(post_id=post.id, user_id=user.id))
        existing.add(user.id)
        if can(user, "post.view", post):
            notified.append(user)
    db.session.flush()
    for user in notified:
        fire("user_mentioned", post=post, user=user, actor=actor)
    return notified
