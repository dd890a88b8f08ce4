"""Local URLs for forum content, built from the shared endpoint contract.

Moderation and notifications store and print links to posts, topics and profiles
owned by other features. ``url_for`` is preferred; the literal contract path is the
fallback so that this package works (and its tests run) before, or without, the
forums and accounts blueprints defining those endpoints, and outside a request.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from werkzeug.routing import BuildError


def _url(endpoint: str, fallback: str, **values: Any) -> str:
    try:
        return url_for(endpoint, **values)
    except (BuildError, RuntimeError):  # RuntimeError: no request (CLI, listeners in tests)
        return fallback


def post_url(post: Any) -> str:
    return _url("forums.post_link", f"/p/{post.id}", post_id=post.id)


def topic_url(topic: Any) -> str:
    return _url("forums.topic", f"/t/{topic.id}-{topic.slug}", topic_id=topic.id, slug=topic.slug)


def profile_url(user: Any) -> str:
    return _url("accounts.profile", f"/u/{user.username}", username=user.username)


def organization_url(org: Any) -> str:
    return _url("accounts.organization", f"/o/{org.slug}", slug=org.slug)


def join_requests_url(org: Any) -> str:
    return _url("accounts.join_requests", f"/o/{org.slug}/requests", slug=org.slug)


def preferences_url() -> str:
    return _url("notifications.preferences", "/notifications/preferences")
