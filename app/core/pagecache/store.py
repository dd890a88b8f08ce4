"""The page cache's per-process state: bounded LRUs of rendered bodies, the
generation store, and the rules for what a request may read or store."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, request, session
from flask.globals import request_ctx
from flask_login import current_user
from sqlalchemy import inspect

from app.core.pagecache.generations import ALL_VIEWERS, FileGenerations, RedisGenerations

log = logging.getLogger("guildhall.pagecache")

EXTENSION_KEY = "guildhall_pagecache"
MAX_ENTRIES = 512
MAX_VIEWER_ENTRIES = 1024


@dataclass(slots=True)
class Entry:
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


class _Lru:
    """A bounded, thread-safe LRU of entries checked against a generation on read."""

    def __init__(self, max_entries: int, max_age: int) -> None:
        self.max_entries = max_entries
        self.max_age = max_age
        self._entries: OrderedDict[Any, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, key: Any) -> Entry | None:
        with self._lock:
            return self._entries.get(key)

    def get(self, key: Any, generation: tuple) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.generation != generation or time.monotonic() - entry.stored_at > self.max_age:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: Any, entry: Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def discard(self, key: Any, entry: Entry) -> None:
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
    def get(self, key: str, generation: tuple) -> Entry | None:
        return self.anonymous.get(key, generation)

    def put(self, key: str, generation: tuple, response: Response) -> Entry:
        entry = _entry(generation, response)
        self.anonymous.put(key, entry)
        return entry

    def get_viewer(self, key: tuple) -> Entry | None:
        """A member's own earlier render for exactly this request identity, if current."""
        entry = self.viewers.peek(key)
        if entry is None or entry.user_id is None:
            return None
        generation = self.viewer_generation(entry.user_id)
        if generation is None:
            return None
        return self.viewers.get(key, generation)

    def put_viewer(self, key: tuple, user_id: int, generation: tuple, response: Response) -> Entry:
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


def _entry(generation: tuple, response: Response, user_id: int | None = None) -> Entry:
    return Entry(
        generation=generation,
        stored_at=time.monotonic(),
        body=response.get_data(),
        mimetype=response.mimetype,
        content_type=response.content_type,
        user_id=user_id,
    )
