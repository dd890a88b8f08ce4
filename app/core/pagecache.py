"""Anonymous page cache: render a public page once, serve it until the data changes.

Most traffic on a community site is visitors who are not signed in reading the same
few pages (latest topics, popular topics). Those pages are identical for every
anonymous visitor, so :func:`cache_anonymous_page` keeps the rendered body in a small
per-process LRU and serves it again while nothing has been written.

Invalidation is by *generation*, not by key: every commit that wrote a row the public
pages could show (forums, accounts, moderation) bumps one shared generation, and a
cached body is served only if it was rendered under the current generation. That is
coarse but exact — there is no per-page dependency tracking to get wrong — and on a
forum writes are rare next to reads.

The generation lives in a tiny file in the instance folder, so every gunicorn worker
process on the host sees a bump at once: a bump appends one byte (``O_APPEND`` writes
are atomic), and readers compare ``os.stat`` (inode, mtime_ns, size) — one syscall per
request, no locks, no extra service. Several hosts would need a shared store (Redis)
for the generation; the interface keeps that swap local to this module.

What is never cached, because it would leak one visitor's state to another:
signed-in requests (session ``_user_id`` or a remember-me cookie), requests or
responses carrying flashed messages, responses whose view set a cookie itself, and
pages whose body contains a CSRF token (it is bound to one session).
``PAGE_CACHE_SECONDS`` bounds an entry's age; 0 turns the cache off (tests do).

Two ways out of the cache: inside Flask (the decorator, for any anonymous visitor,
including one holding a session cookie from an earlier form), and a WSGI fast path,
:class:`PageCacheMiddleware`, for visitors who send no session cookie at all — there
a hit costs a dictionary lookup and one ``stat`` instead of a whole Flask request.
Writes made outside the SQLAlchemy session (raw connections, another program) do not
bump the generation; ``PAGE_CACHE_SECONDS`` is the bound on how stale that can get.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, has_app_context, request, session
from flask.globals import request_ctx
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger("guildhall.pagecache")

EXTENSION_KEY = "guildhall_pagecache"
GENERATION_FILE = "pagecache.generation"
MAX_ENTRIES = 512
# Past this size the generation file is truncated; the inode/mtime still change.
MAX_GENERATION_FILE_BYTES = 64 * 1024

# Tables whose writes no anonymous page shows: per-user read state, notifications,
# preferences and one-time tokens. Writing only these does not bump the generation.
IGNORED_TABLES = frozenset({"forum_topic_read", "notification", "notification_preference", "auth_token"})
# Columns updated on reads (counters, presence): an update touching only these does not
# bump; cached pages may show them up to PAGE_CACHE_SECONDS old.
IGNORED_COLUMNS = frozenset({("user_account", "last_seen_at"), ("forum_topic", "view_count")})

_DIRTY_KEY = "guildhall_pagecache_dirty"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(slots=True)
class _Entry:
    generation: tuple[int, int, int]
    stored_at: float
    body: bytes
    mimetype: str | None
    content_type: str
    # The final response headers (after every after_request hook), filled in by the
    # WSGI fast path once the miss has gone out; None until then.
    headers: list[tuple[str, str]] | None = None


class PageCache:
    """Per-application state: the generation file and this process's rendered bodies."""

    def __init__(self, app: Flask, max_entries: int = MAX_ENTRIES) -> None:
        self.max_age = int(app.config.get("PAGE_CACHE_SECONDS") or 0)
        self.path = Path(app.instance_path) / GENERATION_FILE
        self.remember_cookie = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        self.csrf_field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        if self.enabled and not self.path.exists():
            self.bump()

    @property
    def enabled(self) -> bool:
        return self.max_age > 0

    # --- generation --------------------------------------------------------------
    def generation(self) -> tuple[int, int, int] | None:
        """The current shared generation, or None if the file cannot be read."""
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def bump(self) -> None:
        """Invalidate every cached page in every process on this host."""
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if os.fstat(fd).st_size >= MAX_GENERATION_FILE_BYTES:
                    os.ftruncate(fd, 0)
                os.write(fd, b".")
            finally:
                os.close(fd)
        except OSError:
            log.exception("page cache: could not bump the generation in %s", self.path)
        with self._lock:
            self._entries.clear()

    # --- entries -----------------------------------------------------------------
    def get(self, key: str, generation: tuple[int, int, int]) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.generation != generation or time.monotonic() - entry.stored_at > self.max_age:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: str, generation: tuple[int, int, int], response: Response) -> _Entry:
        entry = _Entry(
            generation=generation,
            stored_at=time.monotonic(),
            body=response.get_data(),
            mimetype=response.mimetype,
            content_type=response.content_type,
        )
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    # --- request rules -----------------------------------------------------------
    def request_is_anonymous(self) -> bool:
        """True when nothing in the request ties it to a person or a pending message."""
        if request.method != "GET":
            return False
        if self.remember_cookie in request.cookies:
            return False
        return "_user_id" not in session and "_flashes" not in session

    def response_is_shareable(self, response: Response) -> bool:
        """True when the rendered body carries nothing private to this request.

        Building a Flask-WTF form makes a CSRF token (and a session cookie for this
        visitor) even when the page never prints it — e.g. a reply form built for
        everyone but shown only to members. Such a body is still the same for every
        anonymous visitor, so only a token that reached the body blocks sharing; the
        session cookie goes to this visitor alone (hits are served without one).
        """
        if response.status_code != 200 or response.direct_passthrough or response.is_streamed:
            return False
        if "Set-Cookie" in response.headers:
            return False
        if "_user_id" in session or "_flashes" in session or request_ctx.flashes:
            return False  # request_ctx.flashes: messages this render popped and showed
        token = g.get(self.csrf_field)
        if token:
            body = response.get_data()
            raw = session.get(self.csrf_field)
            if str(token).encode() in body or (raw and str(raw).encode() in body):
                return False
        return True


_ENTRY_ENVIRON = "guildhall.pagecache.entry"


def cache_key(environ: dict[str, Any]) -> str:
    """Host, path and query string, straight from the WSGI environ (both paths use it)."""
    return (
        f"{environ.get('HTTP_HOST', '')}{environ.get('SCRIPT_NAME', '')}"
        f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    )


class PageCacheMiddleware:
    """WSGI fast path: a stored page for a visitor with no session goes out before Flask runs.

    The hit path inside Flask still costs a request context, the session, the rate
    limiter and the after-request hooks — more than the page itself once it is cached.
    A visitor who sends neither a session nor a remember-me cookie cannot be signed in
    and has no flashed messages, so this layer may answer them from the cache with the
    headers the first render went out with (security headers included). Anything
    else — any session cookie, a miss, a page not rendered yet — goes to Flask, where
    :func:`cache_anonymous_page` applies the full rules.
    """

    def __init__(self, wsgi_app: Callable, cache: PageCache, config: Any) -> None:
        self.wsgi_app = wsgi_app
        self.cache = cache
        # Substring checks: a false positive only means "ask Flask", never a leak.
        self.identity_cookies = (
            f"{config.get('SESSION_COOKIE_NAME') or 'session'}=",
            f"{config.get('REMEMBER_COOKIE_NAME') or 'remember_token'}=",
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        if environ.get("REQUEST_METHOD") == "GET":
            cookies = environ.get("HTTP_COOKIE", "")
            if not any(name in cookies for name in self.identity_cookies):
                generation = self.cache.generation()
                if generation is not None:
                    entry = self.cache.get(cache_key(environ), generation)
                    if entry is not None and entry.headers is not None:
                        start_response("200 OK", entry.headers)
                        return [entry.body]

        # A list, not the entry itself: middlewares below may copy the environ
        # (Flask-SocketIO does), and a shallow copy still shares the list.
        stored: list[_Entry] = []
        environ[_ENTRY_ENVIRON] = stored

        def capture_headers(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if stored and status.startswith("200"):
                kept = [(k, v) for k, v in headers if k.lower() not in ("set-cookie", "x-page-cache")]
                stored[0].headers = [*kept, ("X-Page-Cache", "hit")]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, capture_headers)


def _cache_for_app() -> PageCache | None:
    return current_app.extensions.get(EXTENSION_KEY)


def cache_anonymous_page(view: F) -> F:
    """Serve this GET view from the anonymous page cache when it is safe to."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cache = _cache_for_app()
        if cache is None or not cache.enabled or not cache.request_is_anonymous():
            return view(*args, **kwargs)
        generation = cache.generation()
        if generation is None:
            return view(*args, **kwargs)
        key = cache_key(request.environ)
        entry = cache.get(key, generation)
        if entry is not None:
            response = current_app.response_class(entry.body, status=200, content_type=entry.content_type)
            response.headers["X-Page-Cache"] = "hit"
            return response
        # The generation was read before rendering: a write that lands meanwhile
        # bumps it, so this body can never outlive the data it shows.
        response = current_app.make_response(view(*args, **kwargs))
        if cache.response_is_shareable(response):
            entry = cache.put(key, generation, response)
            holder = request.environ.get(_ENTRY_ENVIRON)
            if holder is not None:  # the fast path records the final headers
                holder.append(entry)
            response.headers["X-Page-Cache"] = "miss"
        return response

    wrapper.anonymous_page_cache = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


# --- invalidation ----------------------------------------------------------------
def _is_relevant(instance: object, dirty: bool) -> bool:
    table = getattr(getattr(instance, "__table__", None), "name", None)
    if table is None or table in IGNORED_TABLES:
        return False
    if not dirty:
        return True
    from sqlalchemy import inspect

    state = inspect(instance)
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
    if not changed:
        return False
    return any((table, name) not in IGNORED_COLUMNS for name in changed)


@event.listens_for(Session, "before_flush")
def _note_dirty_before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    # Attribute histories are reset by the flush, so dirty rows are judged here;
    # new and deleted rows are judged again after the flush (autoflush adds some late).
    if session.info.get(_DIRTY_KEY):
        return
    if any(_is_relevant(obj, dirty=True) for obj in session.dirty):
        session.info[_DIRTY_KEY] = True


@event.listens_for(Session, "after_flush")
def _note_written_rows(session: Session, flush_context: Any) -> None:
    if session.info.get(_DIRTY_KEY):
        return
    for obj in (*session.new, *session.deleted):
        if _is_relevant(obj, dirty=False):
            session.info[_DIRTY_KEY] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_statements(state: Any) -> None:
    """``session.execute(update(...))`` bypasses the unit of work; catch it here."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table in IGNORED_TABLES:
        return
    state.session.info[_DIRTY_KEY] = True


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    if not session.info.pop(_DIRTY_KEY, False):
        return
    if not has_app_context():
        return
    cache = _cache_for_app()
    if cache is not None and cache.enabled:
        cache.bump()


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_DIRTY_KEY, None)


def init_app(app: Flask) -> None:
    """Attach the cache to ``app``; when enabled, put the fast path in front of it."""
    cache = PageCache(app)
    app.extensions[EXTENSION_KEY] = cache
    if cache.enabled:
        app.wsgi_app = PageCacheMiddleware(app.wsgi_app, cache, app.config)  # type: ignore[method-assign]


def page_cache(app: Flask) -> PageCache:
    """The app's cache (tests and the bench inspect it)."""
    return app.extensions[EXTENSION_KEY]
