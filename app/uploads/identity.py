"""Who-is-who in templates: avatar and logo URLs, generated initials and their colour.

Registered as Jinja globals (not a context processor) so cached fragments rendered with
``get_template_attribute`` (forum post heads) can use them too. Nothing here queries
the database: the avatar and logo ids are columns of the rows already loaded.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from markupsafe import Markup

from app.plugins import plugin_manager

AVATAR_COLOURS = 12  # identity.css defines .avatar-c0 … .avatar-c11


def avatar_url(user: Any) -> str | None:
    upload_id = getattr(user, "avatar_upload_id", None)
    return url_for("uploads.serve", upload_id=upload_id, name="avatar.webp") if upload_id else None


def logo_url(org: Any) -> str | None:
    upload_id = getattr(org, "logo_upload_id", None)
    return url_for("uploads.serve", upload_id=upload_id, name="logo.webp") if upload_id else None


def initials(name: str | None) -> str:
    """Up to two letters from the first and last words: "Ada Lovelace" → "AL"."""
    words = [word for word in (name or "").split() if any(ch.isalnum() for ch in word)]
    if not words:
        return "?"
    picked = [words[0], words[-1]] if len(words) > 1 else [words[0]]
    return "".join(next(ch for ch in word if ch.isalnum()) for word in picked).upper()


def avatar_colour(user: Any) -> int:
    """A stable colour class per member (from the id, so renaming keeps the colour)."""
    return (int(getattr(user, "id", 0) or 0) * 7) % AVATAR_COLOURS


def usercard_extras(user: Any) -> Markup:
    """The user card's slot for other features (recognition's badges, later): the
    ``template_panel`` hook with the name ``usercard``. Empty until one answers."""
    parts = plugin_manager().hook.template_panel(name="usercard", context={"user": user})
    return Markup("".join(str(part) for part in parts if part))  # noqa: S704 - hook contract: rendered templates


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        avatar_url=avatar_url,
        logo_url=logo_url,
        initials=initials,
        avatar_colour=avatar_colour,
        usercard_extras=usercard_extras,
    )
