"""Cached HTML fragments of signed-in forum pages: topic rows and post heads.

Signed-in pages cannot come from the anonymous page cache (header, read badges, like
state, buttons and the CSRF token belong to one viewer), but most of their HTML does
not depend on the viewer: a topic row's title, category, counts and last poster; a
post's header and rendered body. Those parts are cached here, per process, keyed by

* the page-cache generation (``app/core/pagecache.py``), which every relevant write
  bumps in every process — so a write never leaves a stale fragment behind, and
* the viewer's *visibility class* (signed in or not, role, staff-ness) — never a user
  id, and never anything private to one viewer.

The per-viewer parts (new/unread badges, post footers, the header) are rendered per
request around the cached parts, and every permission decision (is this post shown
or a placeholder, which buttons) is still made per request with ``can()``, so
``permission_rule`` plug-ins keep working. A cached *list* (which topics a page
shows) is keyed by the exact inputs of its query — the set of category ids the
viewer may see (computed per request, through ``can()``) and staff-ness — not by a
guess from the role. The cache stands aside when the page cache is off and when the
session holds unflushed or uncommitted writes (a fragment shows committed data only).

The generation is read once per request *before* the first query (see
``remember_generation``), so a write that commits while a page is being rendered
makes that page's fragments unreachable rather than stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app, get_template_attribute, has_request_context, request, url_for
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.routing import BuildError

from app.accounts.models import User
from app.core import pagecache
from app.core.permissions import is_authenticated, is_staff
from app.extensions import db
from app.forums.models import Post

EXTENSION_KEY = "guildhall_fragments"
MAX_ENTRIES = 4096
_GENERATION_KEY = "guildhall_fragment_generation"

T = TypeVar("T")


class FragmentCache:
    """A bounded, thread-safe LRU of rendered fragments for one process."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._generation: Any = None

    def get(self, key: Hashable, generation: Any) -> Any | None:
        with self._lock:
            if generation != self._generation:
                return None
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, generation: Any, value: Any) -> None:
        with self._lock:
            if generation != self._generation:
                # Entries of an older generation can never be served again: drop them
                # all. (A render that started before a bump stores nothing useful.)
                self._entries.clear()
                self._generation = generation
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation = None

    def __len__(self) -> int:
        return len(self._entries)


def fragment_cache(app: Any = None) -> FragmentCache:
    """The app's fragment cache (created on first use; tests inspect it)."""
    app = app or current_app
    cache = app.extensions.get(EXTENSION_KEY)
    if cache is None:
        cache = app.extensions.setdefault(EXTENSION_KEY, FragmentCache())
    return cache


def remember_generation() -> None:
    """Read the shared generation now, before this request's first query. Kept in
    the request's environ (not ``g``, which an app context may share across requests)."""
    if has_request_context():
        request.environ.setdefault(_GENERATION_KEY, _read_generation())


def _read_generation() -> Any:
    cache = current_app.extensions.get(pagecache.EXTENSION_KEY)
    if cache is None or not cache.enabled:
        return None
    return cache.generation()


def active_generation() -> Any:
    """The generation to key fragments with, or None when caching must stand aside."""
    if not has_request_context() or request.method != "GET":
        return None
    if _GENERATION_KEY not in request.environ:
        return None  # read too late: a snapshot may predate it
    generation = request.environ[_GENERATION_KEY]
    if generation is None:
        return None
    session = db.session
    if session.new or session.dirty or session.deleted or pagecache.has_pending_writes(session):
        return None
    return generation


def viewer_class(actor: Any) -> tuple:
    """What a cached fragment may depend on: never the viewer's identity."""
    return (is_authenticated(actor), getattr(actor, "role", None), is_staff(actor))


def cached(key: Hashable, build: Callable[[], T]) -> T:
    """``build()`` once per generation and key; uncached when caching stands aside."""
    generation = active_generation()
    if generation is None:
        return build()
    cache = fragment_cache()
    value = cache.get(key, generation)
    if value is None:
        value = build()
        cache.put(key, generation, value)
    return value


# --- topic rows -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TopicRow:
    """One rendered topic-list row, split around the per-viewer badges."""

    id: int
    created_at: datetime
    highest_post_number: int
    head: Markup
    tail: Markup


def _row_macros() -> tuple[Callable, Callable]:
    return (
        get_template_attribute("forums/_topic_row.html", "row_head"),
        get_template_attribute("forums/_topic_row.html", "row_tail"),
    )


def render_row(topic: Any) -> TopicRow:
    head, tail = _row_macros()
    return TopicRow(topic.id, topic.created_at, topic.highest_post_number, head(topic), tail(topic))


def topic_rows(actor: Any, topics: Iterable[Any]) -> list[TopicRow]:
    """Rows for already-loaded topics, each from the cache when it can be."""
    klass = viewer_class(actor)
    return [cached(("row", topic.id, klass), lambda topic=topic: render_row(topic)) for topic in topics]


# --- post heads -------------------------------------------------------------------


def post_heads(actor: Any, posts: list[Any]) -> dict[int, Markup]:
    """Header and body HTML per post id. On a miss the authors (and the replied-to
    posts and their authors) are loaded in bulk first, so misses cost a fixed number
    of queries however many posts the page shows."""

    klass = viewer_class(actor)
    generation = active_generation()
    cache = fragment_cache() if generation is not None else None
    heads: dict[int, Markup] = {}
    missing = []
    for post in posts:
        value = cache.get(("post", post.id, klass), generation) if cache is not None else None
        if value is None:
            missing.append(post)
        else:
            heads[post.id] = value
    if not missing:
        return heads
    replies = {}
    reply_ids = {p.reply_to_id for p in missing if p.reply_to_id is not None}
    if reply_ids:
        replies = {r.id: r for r in db.session.scalars(sa.select(Post).where(Post.id.in_(reply_ids)))}
    author_ids = {p.author_id for p in missing} | {r.author_id for r in replies.values()}
    # Organizations too: the author line shows each author's organization and tier.
    users = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(User.id.in_(author_ids)).options(selectinload(User.organization))
        )
    }
    # Attach what was loaded, so the template's attribute access issues no query.
    for post in [*missing, *replies.values()]:
        if post.author_id in users:
            set_committed_value(post, "author", users[post.author_id])
    for post in missing:
        if post.reply_to_id in replies:
            set_committed_value(post, "reply_to", replies[post.reply_to_id])
    render = get_template_attribute("forums/_post_head.html", "post_head")
    for post in missing:
        value = render(post)  # macros of an autoescaped template return Markup
        heads[post.id] = value
        if cache is not None:
            cache.put(("post", post.id, klass), generation, value)
    return heads


# --- URLs -------------------------------------------------------------------------


class UrlPattern:
    """``url_for(endpoint, **values, <key>=n)`` for many ``n``, built once.

    The URL is built with a sentinel number and split around it, so every URL is
    exactly what ``url_for`` would print (same query order, same anchor)."""

    SENTINEL = 7_390_215_864_001

    def __init__(self, endpoint: str, key: str, **values: Any) -> None:
        anchor = values.pop("_anchor", None)
        url = url_for(endpoint, **values, **{key: self.SENTINEL}, _anchor=anchor)
        self.prefix, found, self.suffix = url.partition(str(self.SENTINEL))
        if not found:
            raise ValueError(f"{endpoint}: {key} does not appear in the URL")

    def __call__(self, value: int) -> str:
        return f"{self.prefix}{int(value)}{self.suffix}"

    @classmethod
    def optional(cls, endpoint: str, key: str, **values: Any) -> UrlPattern | None:
        """None for an endpoint another feature has not built (like ``optional_url``)."""
        try:
            return cls(endpoint, key, **values)
        except BuildError:
            return None
