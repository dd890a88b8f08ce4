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
commit that writes a row is sorted into one of two kinds:

* rows of a **user-owned table** (:data:`USER_OWNED_TABLES`: read markers,
  notifications, preferences, one-time tokens) change only what their owner sees, so
  they bump that member's *viewer generation*;
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
it is logged (the write stands), and other hosts may then serve pages up to
``PAGE_CACHE_SECONDS`` old.

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

import functools
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
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
VIEWERS_FOLDER = "pagecache.viewers"
ALL_VIEWERS = "all"
MAX_ENTRIES = 512
MAX_VIEWER_ENTRIES = 1024
# Past this size a generation file is truncated; the inode/mtime still change.
MAX_GENERATION_FILE_BYTES = 64 * 1024

# Tables whose rows only their owner's pages show, and the column naming the owner.
# Writing them bumps that member's viewer generation, never the shared one.
USER_OWNED_TABLES: dict[str, str] = {
    "forum_topic_read": "user_id",
    "notification": "user_id",
    "notification_preference": "user_id",
    "auth_token": "user_id",
}
IGNORED_TABLES = frozenset(USER_OWNED_TABLES)
# Columns updated on reads (counters, presence): an update touching only these does not
# bump; cached pages may show them up to PAGE_CACHE_SECONDS old.
IGNORED_COLUMNS = frozenset({("user_account", "last_seen_at"), ("forum_topic", "view_count")})

_DIRTY_KEY = "guildhall_pagecache_dirty"
_VIEWERS_KEY = "guildhall_pagecache_viewers"

_MISSING = (0, 0, 0)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(slots=True)
class _Entry:
    generation: tuple
    stored_at: float
    body: bytes
    mimetype: str | None
    content_type: str
    # The member a signed-in entry was rendered for; None for a shared anonymous one.
    user_id: int | None = None
    # The final response headers (after every after_request hook), filled in by the
    # WSGI fast path once the miss has gone out; None until then.
    headers: list[tuple[str, str]] | None = None


def _stat_generation(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _append_byte(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        if os.fstat(fd).st_size >= MAX_GENERATION_FILE_BYTES:
            os.ftruncate(fd, 0)
        os.write(fd, b".")
    finally:
        os.close(fd)


class FileGenerations:
    """Generations as files in the instance folder: shared by the processes of one host."""

    def __init__(self, instance_path: str) -> None:
        self.path = Path(instance_path) / GENERATION_FILE
        self.viewers_path = Path(instance_path) / VIEWERS_FOLDER

    def prepare(self) -> None:
        self.viewers_path.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            self.bump_shared()

    def shared(self) -> tuple | None:
        return _stat_generation(self.path)

    def viewer(self, user_id: int) -> tuple | None:
        shared = _stat_generation(self.path)
        if shared is None:
            return None
        everyone = _stat_generation(self.viewers_path / ALL_VIEWERS) or _MISSING
        own = _stat_generation(self.viewers_path / str(user_id)) or _MISSING
        return (shared, everyone, own)

    def bump_shared(self) -> None:
        _append_byte(self.path)

    def bump_viewer(self, name: str) -> None:
        _append_byte(self.viewers_path / name)


class RedisGenerations:
    """Generations as Redis counters: shared by every host using the same Redis.

    When Redis cannot be read the cache stands aside (every request renders) and
    Redis is not asked again for a few seconds, so an outage costs neither an error
    page nor a time-out per request, and the log gets one line per pause.
    """

    RETRY_SECONDS = 5.0

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self.shared_key = f"{prefix}:shared"
        self.viewer_prefix = f"{prefix}:viewer:"
        self._down_until = 0.0

    def prepare(self) -> None:
        """Nothing to create: a missing counter reads as 0."""

    def _read(self, keys: list[str]) -> tuple | None:
        if time.monotonic() < self._down_until:
            return None
        try:
            return tuple(int(value or 0) for value in self.client.mget(keys))
        except Exception:  # Redis down means "no cache", never an error page
            self._down_until = time.monotonic() + self.RETRY_SECONDS
            log.warning("page cache: Redis unreachable; pages are rendered uncached for now", exc_info=True)
            return None

    def shared(self) -> tuple | None:
        return self._read([self.shared_key])

    def viewer(self, user_id: int) -> tuple | None:
        return self._read(
            [self.shared_key, self.viewer_prefix + ALL_VIEWERS, self.viewer_prefix + str(user_id)]
        )

    def bump_shared(self) -> None:
        self.client.incr(self.shared_key)

    def bump_viewer(self, name: str) -> None:
        self.client.incr(self.viewer_prefix + name)


class _Lru:
    """A bounded, thread-safe LRU of entries checked against a generation on read."""

    def __init__(self, max_entries: int, max_age: int) -> None:
        self.max_entries = max_entries
        self.max_age = max_age
        self._entries: OrderedDict[Any, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, key: Any) -> _Entry | None:
        with self._lock:
            return self._entries.get(key)

    def get(self, key: Any, generation: tuple) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.generation != generation or time.monotonic() - entry.stored_at > self.max_age:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: Any, entry: _Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def discard(self, key: Any, entry: _Entry) -> None:
        with self._lock:
            if self._entries.get(key) is entry:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class PageCache:
    """Per-application state: the generation files and this process's rendered bodies."""

    def __init__(self, app: Flask, max_entries: int = MAX_ENTRIES) -> None:
        self.max_age = int(app.config.get("PAGE_CACHE_SECONDS") or 0)
        self.signed_in = bool(app.config.get("PAGE_CACHE_SIGNED_IN", True))
        redis_url = app.config.get("PAGE_CACHE_REDIS_URL")
        self.store: FileGenerations | RedisGenerations = (
            RedisGenerations(redis_url, app.config.get("PAGE_CACHE_REDIS_PREFIX") or "guildhall:pagecache")
            if redis_url
            else FileGenerations(app.instance_path)
        )
        self.session_cookie = app.config.get("SESSION_COOKIE_NAME") or "session"
        self.remember_cookie = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        self.csrf_field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        self.anonymous = _Lru(max_entries, self.max_age)
        self.viewers = _Lru(
            int(app.config.get("PAGE_CACHE_VIEWER_ENTRIES") or MAX_VIEWER_ENTRIES), self.max_age
        )
        if self.enabled:
            self.store.prepare()

    @property
    def enabled(self) -> bool:
        return self.max_age > 0

    # --- generations -------------------------------------------------------------
    def generation(self) -> tuple | None:
        """The current shared generation, or None if it cannot be read."""
        return self.store.shared()

    def viewer_generation(self, user_id: int) -> tuple | None:
        """What a member's entry is checked against: the shared generation, the
        all-viewers generation and the member's own (a member never bumped has none)."""
        return self.store.viewer(int(user_id))

    def bump(self) -> None:
        """Invalidate every cached page in every process sharing the generations."""
        try:
            self.store.bump_shared()
        except Exception:  # the write has landed; log, never fail it
            log.exception("page cache: could not bump the shared generation")
        self.anonymous.clear()
        self.viewers.clear()

    def bump_viewers(self, user_ids: Iterable[int | str]) -> None:
        """Invalidate the signed-in pages of these members (ALL_VIEWERS: of everyone)."""
        if not self.enabled:
            return
        for user_id in user_ids:
            name = ALL_VIEWERS if user_id == ALL_VIEWERS else str(int(user_id))
            try:
                self.store.bump_viewer(name)
            except Exception:  # as in bump()
                log.exception("page cache: could not bump viewer generation %s", name)

    # --- entries -----------------------------------------------------------------
    def get(self, key: str, generation: tuple) -> _Entry | None:
        return self.anonymous.get(key, generation)

    def put(self, key: str, generation: tuple, response: Response) -> _Entry:
        entry = _entry(generation, response)
        self.anonymous.put(key, entry)
        return entry

    def get_viewer(self, key: tuple) -> _Entry | None:
        """A member's own earlier render for exactly this request identity, if current."""
        entry = self.viewers.peek(key)
        if entry is None or entry.user_id is None:
            return None
        generation = self.viewer_generation(entry.user_id)
        if generation is None:
            return None
        return self.viewers.get(key, generation)

    def put_viewer(self, key: tuple, user_id: int, generation: tuple, response: Response) -> _Entry:
        entry = _entry(generation, response, user_id=user_id)
        self.viewers.put(key, entry)
        return entry

    def clear(self) -> None:
        self.anonymous.clear()
        self.viewers.clear()

    def __len__(self) -> int:
        return len(self.anonymous) + len(self.viewers)

    # --- request rules -----------------------------------------------------------
    def request_is_anonymous(self) -> bool:
        """True when nothing in the request ties it to a person or a pending message."""
        if request.method != "GET":
            return False
        if self.remember_cookie in request.cookies:
            return False
        return "_user_id" not in session and "_flashes" not in session

    def signed_in_user_id(self) -> int | None:
        """The member this GET claims to be (before Flask-Login checks it), or None.

        Only a request eligible for a member's own entry answers: signed-in caching
        on, a GET, no pending flashed messages.
        """
        if not self.signed_in or request.method != "GET" or "_flashes" in session:
            return None
        ident = str(session.get("_user_id") or "").partition(":")[0]
        return int(ident) if ident.isdigit() else None

    def response_is_shareable(self, response: Response) -> bool:
        """True when the rendered body carries nothing private to this request.

        Building a Flask-WTF form makes a CSRF token (and a session cookie for this
        visitor) even when the page never prints it — e.g. a reply form built for
        everyone but shown only to members. Such a body is still the same for every
        anonymous visitor, so only a token that reached the body blocks sharing; the
        session cookie goes to this visitor alone (hits are served without one).
        """
        if not _plain_ok(response):
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

    def response_is_reusable_by(self, response: Response, user_id: int) -> bool:
        """True when this member may be given this body again for the same request.

        The session must be left exactly as the browser sent it (no Set-Cookie now or
        later, so the cookie header stays the key), the member must really be signed
        in as ``user_id``, and no flashed message may have been shown.
        """
        from flask_login import current_user
        from sqlalchemy import inspect

        if not _plain_ok(response) or session.modified or request_ctx.flashes:
            return False
        if "_flashes" in session or not current_user.is_authenticated:
            return False
        # The identity key, not ``current_user.id``: the view's commit expired the
        # user, and reading an attribute would cost a query.
        identity = inspect(current_user._get_current_object()).identity
        return identity is not None and identity[0] == user_id


def _plain_ok(response: Response) -> bool:
    if response.status_code != 200 or response.direct_passthrough or response.is_streamed:
        return False
    return "Set-Cookie" not in response.headers


def _entry(generation: tuple, response: Response, user_id: int | None = None) -> _Entry:
    return _Entry(
        generation=generation,
        stored_at=time.monotonic(),
        body=response.get_data(),
        mimetype=response.mimetype,
        content_type=response.content_type,
        user_id=user_id,
    )


_ENTRY_ENVIRON = "guildhall.pagecache.entry"


def cache_key(environ: dict[str, Any]) -> str:
    """Host, path and query string, straight from the WSGI environ (both paths use it)."""
    return (
        f"{environ.get('HTTP_HOST', '')}{environ.get('SCRIPT_NAME', '')}"
        f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    )


def viewer_key(environ: dict[str, Any]) -> tuple:
    """Everything in a signed-in request that the render may depend on besides the data.

    The whole cookie header (the signed session, and any other cookie), and what
    Flask-Login's session protection hashes (client address, User-Agent) plus
    ``Accept``: a request equal in all of these is the same request to Flask.
    """
    return (
        cache_key(environ),
        environ.get("HTTP_COOKIE", ""),
        environ.get("HTTP_USER_AGENT", ""),
        environ.get("REMOTE_ADDR", ""),
        environ.get("HTTP_X_FORWARDED_FOR", ""),
        environ.get("HTTP_ACCEPT", ""),
    )


class PageCacheMiddleware:
    """WSGI fast path: a stored page goes out before Flask runs.

    The hit path inside Flask still costs a request context, the session, the rate
    limiter and the after-request hooks — more than the page itself once it is cached.
    A visitor who sends neither a session nor a remember-me cookie cannot be signed in
    and has no flashed messages, so this layer may answer them from the shared entry. A
    request with a session cookie may only be answered from an entry rendered for that
    very cookie header (see :func:`viewer_key`), checked against its member's
    generation. Both go out with the headers the first render went out with (security
    headers included). Anything else goes to Flask, where :func:`cache_page` applies
    the full rules.
    """

    def __init__(self, wsgi_app: Callable, cache: PageCache, config: Any) -> None:
        self.wsgi_app = wsgi_app
        self.cache = cache
        # Substring checks: a false positive only means "ask Flask", never a leak.
        self.session_cookie = f"{config.get('SESSION_COOKIE_NAME') or 'session'}="
        self.remember_cookie = f"{config.get('REMEMBER_COOKIE_NAME') or 'remember_token'}="

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        if environ.get("REQUEST_METHOD") == "GET":
            entry = self._stored(environ)
            if entry is not None and entry.headers is not None:
                start_response("200 OK", entry.headers)
                return [entry.body]

        # A list, not the entry itself: middlewares below may copy the environ
        # (Flask-SocketIO does), and a shallow copy still shares the list.
        stored: list[tuple[Any, _Entry]] = []
        environ[_ENTRY_ENVIRON] = stored

        def capture_headers(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if stored:
                key, entry = stored[0]
                sets_cookie = any(k.lower() == "set-cookie" for k, _ in headers)
                if entry.user_id is not None and (sets_cookie or not status.startswith("200")):
                    # The browser's cookie changes with this response: the entry's key
                    # is dead, and it must never answer the old cookie again.
                    self.cache.viewers.discard(key, entry)
                elif status.startswith("200"):
                    kept = [(k, v) for k, v in headers if k.lower() not in ("set-cookie", "x-page-cache")]
                    entry.headers = [*kept, ("X-Page-Cache", "hit")]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, capture_headers)

    def _stored(self, environ: dict[str, Any]) -> _Entry | None:
        cookies = environ.get("HTTP_COOKIE", "")
        if self.session_cookie in cookies:
            return self.cache.get_viewer(viewer_key(environ)) if self.cache.signed_in else None
        if self.remember_cookie in cookies:
            return None
        generation = self.cache.generation()
        return None if generation is None else self.cache.get(cache_key(environ), generation)


def _cache_for_app() -> PageCache | None:
    return current_app.extensions.get(EXTENSION_KEY)


def _hit(entry: _Entry) -> Response:
    response = current_app.response_class(entry.body, status=200, content_type=entry.content_type)
    response.headers["X-Page-Cache"] = "hit"
    return response


def _remember(key: Any, entry: _Entry) -> None:
    holder = request.environ.get(_ENTRY_ENVIRON)
    if holder is not None:  # the fast path records the final headers
        holder.append((key, entry))


def cache_page(view: F) -> F:
    """Serve this GET view from the page cache when it is safe to: one shared body
    for anonymous visitors, a member's own body for a signed-in member."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cache = _cache_for_app()
        if cache is None or not cache.enabled:
            return view(*args, **kwargs)
        if cache.request_is_anonymous():
            return _anonymous(cache, view, args, kwargs)
        user_id = cache.signed_in_user_id()
        if user_id is not None:
            return _signed_in(cache, user_id, view, args, kwargs)
        return view(*args, **kwargs)

    wrapper.page_cache_applied = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _anonymous(cache: PageCache, view: Callable, args: tuple, kwargs: dict) -> Response:
    generation = cache.generation()
    if generation is None:
        return view(*args, **kwargs)
    key = cache_key(request.environ)
    entry = cache.get(key, generation)
    if entry is not None:
        return _hit(entry)
    # The generation was read before rendering: a write that lands meanwhile
    # bumps it, so this body can never outlive the data it shows.
    response = current_app.make_response(view(*args, **kwargs))
    if cache.response_is_shareable(response):
        _remember(key, cache.put(key, generation, response))
        response.headers["X-Page-Cache"] = "miss"
    return response


def _signed_in(cache: PageCache, user_id: int, view: Callable, args: tuple, kwargs: dict) -> Response:
    generation = cache.viewer_generation(user_id)
    if generation is None:
        return view(*args, **kwargs)
    key = viewer_key(request.environ)
    entry = cache.viewers.get(key, generation)
    if entry is not None and entry.user_id == user_id:
        return _hit(entry)
    # As for anonymous pages, the generations were read before the first query; a
    # write during this request (the topic page's read marker) makes the entry stale
    # at once, and the next view renders and stores a current one.
    response = current_app.make_response(view(*args, **kwargs))
    if cache.response_is_reusable_by(response, user_id):
        _remember(key, cache.put_viewer(key, user_id, generation, response))
        response.headers["X-Page-Cache"] = "miss"
    return response


# --- invalidation ----------------------------------------------------------------
def _table_of(instance: object) -> str | None:
    return getattr(getattr(instance, "__table__", None), "name", None)


def _note_owner(session: Session, table: str, instance: object) -> None:
    from sqlalchemy import inspect

    # The loaded state only: a deleted or expired row must not trigger a load here.
    owner = inspect(instance).dict.get(USER_OWNED_TABLES[table])
    session.info.setdefault(_VIEWERS_KEY, set()).add(ALL_VIEWERS if owner is None else owner)


def _is_relevant(instance: object, dirty: bool) -> bool:
    table = _table_of(instance)
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
    for obj in session.dirty:
        table = _table_of(obj)
        if table in USER_OWNED_TABLES:
            _note_owner(session, table, obj)
        elif not session.info.get(_DIRTY_KEY) and _is_relevant(obj, dirty=True):
            session.info[_DIRTY_KEY] = True


@event.listens_for(Session, "after_flush")
def _note_written_rows(session: Session, flush_context: Any) -> None:
    for obj in (*session.new, *session.deleted):
        table = _table_of(obj)
        if table in USER_OWNED_TABLES:
            _note_owner(session, table, obj)
        elif not session.info.get(_DIRTY_KEY) and _is_relevant(obj, dirty=False):
            session.info[_DIRTY_KEY] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_statements(state: Any) -> None:
    """``session.execute(update(...))`` bypasses the unit of work; catch it here.

    On a user-owned table the statement names its members with the
    ``pagecache_users`` execution option; without it, every viewer is bumped.
    """
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table in USER_OWNED_TABLES:
        users = state.execution_options.get("pagecache_users")
        state.session.info.setdefault(_VIEWERS_KEY, set()).update(
            users if users is not None else [ALL_VIEWERS]
        )
        return
    state.session.info[_DIRTY_KEY] = True


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    # SQLAlchemy fires after_commit for a released SAVEPOINT too; bumping then would
    # let another request cache the old data under the new generation before the
    # outer transaction lands, so wait for the real commit.
    if session.get_nested_transaction() is not None:
        return
    dirty = session.info.pop(_DIRTY_KEY, False)
    viewers = session.info.pop(_VIEWERS_KEY, None)
    if not (dirty or viewers) or not has_app_context():
        return
    cache = _cache_for_app()
    if cache is None or not cache.enabled:
        return
    if dirty:
        cache.bump()  # every entry, signed-in ones included
    elif viewers:
        cache.bump_viewers(viewers)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_DIRTY_KEY, None)
        session.info.pop(_VIEWERS_KEY, None)


def init_app(app: Flask) -> None:
    """Attach the cache to ``app``; when enabled, put the fast path in front of it."""
    cache = PageCache(app)
    app.extensions[EXTENSION_KEY] = cache
    if cache.enabled:
        app.wsgi_app = PageCacheMiddleware(app.wsgi_app, cache, app.config)  # type: ignore[method-assign]


def page_cache(app: Flask) -> PageCache:
    """The app's cache (tests and the bench inspect it)."""
    return app.extensions[EXTENSION_KEY]
