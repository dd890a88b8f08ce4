"""Request ids: one per HTTP request, taken from ``X-Request-ID`` when a proxy or
client sent a sane one, else made here, and echoed in the response's ``X-Request-ID``.

The id ties together the log lines of one request (the request line and anything
logged while it ran) and the proxy's access log, so an operator can follow a report
("it failed at 10:41, id 4f…") to its lines. It is only a correlation id, never an
authority: a client may choose its own, so it is bounded and limited to a safe
character set before it reaches a log line or a header, and anything else is
replaced with a fresh one.
"""

from __future__ import annotations

import contextvars
import re
import uuid
from typing import Any

HEADER = "X-Request-ID"
ENVIRON_KEY = "HTTP_X_REQUEST_ID"
# Where the middleware leaves the id for code below it (Flask: ``request.environ``).
REQUEST_ID_ENVIRON = "guildhall.request_id"
MAX_LENGTH = 128
# UUIDs, nginx's $request_id (hex), AWS trace ids (Root=1-…), base64 ids: nothing that
# could split a header, a log line or a shell word (no spaces, quotes, ;, commas).
_SAFE = re.compile(rf"[A-Za-z0-9._:+=/-]{{1,{MAX_LENGTH}}}")

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("guildhall_request_id", default=None)


def is_valid(value: Any) -> bool:
    """True for an id safe to log and echo as it is."""
    return isinstance(value, str) and _SAFE.fullmatch(value) is not None


def new_request_id() -> str:
    return uuid.uuid4().hex


def from_environ(environ: dict[str, Any]) -> str:
    """The incoming ``X-Request-ID`` if it is valid, else a new id."""
    incoming = environ.get(ENVIRON_KEY)
    return incoming if is_valid(incoming) else new_request_id()


def current_request_id() -> str | None:
    """The id of the request this thread (or greenlet) is serving, if any."""
    return _current.get()


def bind(request_id: str | None) -> None:
    """Make ``request_id`` the current one (``None`` when the request is over: a
    server thread serves many requests, and a stale id would mislabel what it logs
    between them)."""
    _current.set(request_id)
