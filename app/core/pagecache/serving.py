"""The two ways out of the page cache: the WSGI fast path in front of Flask and the
``cache_page`` view decorator inside it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, request

from app.core.pagecache.store import EXTENSION_KEY, Entry, PageCache

F = TypeVar("F", bound=Callable[..., Any])


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
        stored: list[tuple[Any, Entry]] = []
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

    def _stored(self, environ: dict[str, Any]) -> Entry | None:
        cookies = environ.get("HTTP_COOKIE", "")
        if self.session_cookie in cookies:
            return self.cache.get_viewer(viewer_key(environ)) if self.cache.signed_in else None
        if self.remember_cookie in cookies:
            return None
        generation = self.cache.generation()
        return None if generation is None else self.cache.get(cache_key(environ), generation)


def _cache_for_app() -> PageCache | None:
    return current_app.extensions.get(EXTENSION_KEY)


def _hit(entry: Entry) -> Response:
    response = current_app.response_class(entry.body, status=200, content_type=entry.content_type)
    response.headers["X-Page-Cache"] = "hit"
    return response


def _remember(key: Any, entry: Entry) -> None:
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
