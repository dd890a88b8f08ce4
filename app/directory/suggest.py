"""Member suggestions for the editor's @mention autocomplete.

Only members the directory lists are offered: a member who chose "hide me from the
directory" (or is unconfirmed or suspended) is never suggested, so the autocomplete
cannot be used to enumerate people who asked not to be found. Typing their exact
@username still mentions them; the suggestion list just never volunteers the name.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.core.errors import PermissionDenied
from app.core.permissions import is_active_member
from app.directory.facets import listed_people
from app.extensions import db

SUGGEST_LIMIT = 8
PREFIX_MAX = 40
_PREFIX_RE = re.compile(r"^[\w .'-]+$")


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def suggest_members(actor: Any, prefix: str, limit: int = SUGGEST_LIMIT) -> list[User]:
    """Listed members whose username or display name starts with ``prefix``."""
    if not is_active_member(actor):
        raise PermissionDenied("Sign in to look members up.")
    prefix = (prefix or "").strip().lstrip("@").lower()
    if not prefix or len(prefix) > PREFIX_MAX or not _PREFIX_RE.match(prefix):
        return []
    pattern = _like_prefix(prefix)
    query = (
        sa.select(User)
        .where(
            User.id.in_(listed_people()),
            sa.or_(
                sa.func.lower(User.username).like(pattern, escape="\\"),
                sa.func.lower(User.display_name).like(pattern, escape="\\"),
            ),
        )
        .order_by(sa.func.lower(User.username))
        .limit(max(1, min(limit, SUGGEST_LIMIT)))
    )
    return list(db.session.scalars(query))
