"""Page cache: render a page once, serve it again until the data it shows changes.

Most traffic on a community site is people re-reading the same few pages (latest
topics, a busy topic). :func:`cache_page` keeps rendered bodies in small per-process
LRUs and serves them again while nothing they show has been written:

* **anonymous visitors** share one body per URL — it is the same for all of them;
* **a signed-in member** gets back *their own* earlier render of the URL: the entry is
  keyed by the exact request identity (the whole ``Cookie`` header, User-Agent, client
  address, ``Accept``), so it can only ever go back to the browser session it was
  rendered for, CSRF token and header counts included.

Invalidation is by *generation*, not by key, and it is exact by construction. Every
commit that writes a row is sorted into one of three kinds:

* rows of a **user-owned table** (:data:`USER_OWNED_TABLES`: read markers,
  notifications, preferences, one-time tokens, chat rooms' messages and markers, which
  forum pages show only as a member's unread count) change only what some members
  see, so they bump those members' *viewer generations*;
* rows of a **bookkeeping table** (:data:`BOOKKEEPING_TABLES`: the outgoing mail
  queue) show on no cached page, so they bump nothing;
* every other row may show on anyone's page, so it bumps the shared *generation*,
  which every entry (anonymous or signed-in) is checked against.

A signed-in entry is served only while the shared generation, the "all viewers"
generation and its member's generation are all unchanged. A bulk statement on a
user-owned table says whose rows it touches with the ``pagecache_users`` execution
option; one that does not bumps every viewer (correct, just coarser).

Generations live in tiny files in the instance folder by default, so every gunicorn
worker on the host sees a bump at once: a bump appends one byte (``O_APPEND`` writes
are atomic), and readers compare ``os.stat`` (inode, mtime_ns, size) — one syscall per
generation, no locks, no extra service. With several hosts, set
``PAGE_CACHE_REDIS_URL``: generations are then Redis counters (``INCR`` to bump, one
``MGET`` per lookup), so a write on one host invalidates every host's pages at once.
If Redis cannot be read, nothing is served from the cache; a bump that cannot reach
it is logged (the write stands) and owed: paid before this process next reads Redis,
so other hosts see it once Redis is back. Generations carry an epoch token, so a
Redis that returns empty never matches a page rendered before it went away.

What is never stored: non-GET requests, requests or responses carrying flashed
messages, responses that set a cookie or changed the session, error responses, and —
for the shared anonymous entries — bodies holding a CSRF token or rendered for a
member. ``PAGE_CACHE_SECONDS`` bounds an entry's age (and with it how stale a
time-dependent detail such as a "new" badge or a raw write from another program can
get); 0 turns the cache off (tests do). ``PAGE_CACHE_SIGNED_IN = False`` keeps the
anonymous cache only.

Two ways out of the cache: inside Flask (the decorator), and a WSGI fast path,
:class:`PageCacheMiddleware`, in front of Flask: there a hit costs a dictionary lookup
and one to three ``stat`` calls instead of a whole Flask request. The fast path only
serves a body whose first render went out in full (headers recorded, no Set-Cookie),
and a signed-in body only to the byte-identical cookie header that Flask accepted for
it; any change to the member (password, session token, suspension, role) is a write to
``user_account`` and so bumps the shared generation.
"""

from __future__ import annotations

from flask import Flask

from app.core.pagecache.generations import ALL_VIEWERS, FileGenerations, RedisGenerations

# Importing invalidation registers its SQLAlchemy session listeners.
from app.core.pagecache.invalidation import (
    BOOKKEEPING_TABLES,
    IGNORED_COLUMNS,
    USER_OWNED_TABLES,
    has_pending_writes,
    register_bookkeeping_table,
    register_viewer_table,
)
from app.core.pagecache.serving import PageCacheMiddleware, cache_key, cache_page, viewer_key
from app.core.pagecache.store import EXTENSION_KEY, PageCache

__all__ = [
    "ALL_VIEWERS",
    "BOOKKEEPING_TABLES",
    "EXTENSION_KEY",
    "IGNORED_COLUMNS",
    "USER_OWNED_TABLES",
    "FileGenerations",
    "PageCache",
    "PageCacheMiddleware",
    "RedisGenerations",
    "cache_key",
    "cache_page",
    "has_pending_writes",
    "init_app",
    "page_cache",
    "register_bookkeeping_table",
    "register_viewer_table",
    "viewer_key",
]


def init_app(app: Flask) -> None:
    """Attach the cache to ``app``; when enabled, put the fast path in front of it."""
    cache = PageCache(app)
    app.extensions[EXTENSION_KEY] = cache
    if cache.enabled:
        app.wsgi_app = PageCacheMiddleware(app.wsgi_app, cache, app.config)  # type: ignore[method-assign]


def page_cache(app: Flask) -> PageCache:
    """The app's cache (tests and the bench inspect it)."""
    return app.extensions[EXTENSION_KEY]
