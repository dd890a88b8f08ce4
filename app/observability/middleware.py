"""The outermost WSGI layer: a request id, one log line and the latency of every request.

It wraps everything else — the security headers, the page cache's fast path and
python-engineio's Socket.IO layer, which answer some requests before Flask runs — so
a page served from the cache gets its ``X-Request-ID`` header, its log line and its
sample in the latency histogram like any other.

Flask fills in what only it knows (the URL rule's endpoint, the member the session
names) on a small state object the layer leaves in the environ: Flask-SocketIO's
middleware copies the environ, but the copy shares the object.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from app.observability import metrics, request_ids

STATE_ENVIRON = "guildhall.observability"
REQUEST_LOGGER = "guildhall.request"
MAX_METHOD_LENGTH = 16

log = logging.getLogger(REQUEST_LOGGER)


@dataclass
class RequestState:
    """What the layer learns about one request on its way in and out."""

    request_id: str
    status: int = 0
    cache: str = "none"
    endpoint: str | None = None
    user_id: int | None = None
    finished: bool = False


class RequestObserver:
    """WSGI middleware: request id in and out, timing, log line, metrics."""

    def __init__(
        self,
        wsgi_app: Callable,
        *,
        log_requests: bool,
        record_metrics: bool,
        socketio_path: str = "socket.io",
    ) -> None:
        self.wsgi_app = wsgi_app
        self.log_requests = log_requests
        self.record_metrics = record_metrics
        self.socketio_prefix = "/" + socketio_path.strip("/") + "/"

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        state = RequestState(request_ids.from_environ(environ))
        environ[request_ids.REQUEST_ID_ENVIRON] = state.request_id
        environ[STATE_ENVIRON] = state
        request_ids.bind(state.request_id)

        def with_request_id(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            state.status = _status_code(status)
            kept = []
            for name, value in headers:
                lowered = name.lower()
                if lowered == "x-request-id":
                    continue
                if lowered == "x-page-cache":
                    state.cache = value.strip().lower() or "none"
                kept.append((name, value))
            kept.append((request_ids.HEADER, state.request_id))
            return start_response(status, kept, exc_info)

        def finish() -> None:
            if not state.finished:
                state.finished = True
                self._finished(environ, state, time.perf_counter() - started)
                request_ids.bind(None)

        try:
            body = self.wsgi_app(environ, with_request_id)
        except BaseException:
            state.status = state.status or 500
            finish()
            raise
        file_wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(file_wrapper, type) and isinstance(body, file_wrapper):
            # Keep the server's sendfile path: timed to the first byte instead.
            finish()
            return body
        return _Observed(body, finish)

    def _finished(self, environ: dict[str, Any], state: RequestState, seconds: float) -> None:
        method = str(environ.get("REQUEST_METHOD") or "")[:MAX_METHOD_LENGTH]
        path = str(environ.get("SCRIPT_NAME") or "") + str(environ.get("PATH_INFO") or "")
        endpoint = self._endpoint(state, path)
        status = state.status or _unstarted_status(environ)
        if self.record_metrics:
            try:
                metrics.observe_request(endpoint, method, status, state.cache, seconds)
            except Exception:  # a metrics file problem must not fail the response
                log.warning("recording request metrics failed", exc_info=True)
        if self.log_requests and log.isEnabledFor(logging.INFO):
            duration_ms = round(seconds * 1000, 1)
            log.info(
                "%s %s %s %.1fms",
                _printable(method),
                _printable(path),
                status,
                duration_ms,
                extra={
                    "request_id": state.request_id,
                    "user_id": state.user_id,
                    "method": method,
                    "path": path,
                    "endpoint": endpoint,
                    "status": status,
                    "duration_ms": duration_ms,
                    "cache": state.cache,
                    "client": environ.get("REMOTE_ADDR"),
                },
            )

    def _endpoint(self, state: RequestState, path: str) -> str:
        """The URL rule's endpoint; requests answered before Flask by what answered them."""
        if state.endpoint:
            return state.endpoint
        if path.startswith(self.socketio_prefix):
            return metrics.SOCKETIO_ENDPOINT
        if state.cache == "hit":
            return metrics.PAGECACHE_ENDPOINT
        return metrics.UNMATCHED_ENDPOINT


class _Observed:
    """The response body, passed through; ``finish`` runs once the last byte is out
    (when the server closes it, or when the body is exhausted, whichever is first)."""

    def __init__(self, body: Iterable[bytes], finish: Callable[[], None]) -> None:
        self.body = body
        self.finish = finish

    def __iter__(self) -> Iterator[bytes]:
        yield from self.body
        self.finish()

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.finish()


def _unstarted_status(environ: dict[str, Any]) -> int:
    """The status of a response that never called ``start_response``: a WebSocket the
    server handed over (simple-websocket answers the 101 on the raw socket, then the
    request lasts as long as the socket), else a failure."""
    if str(environ.get("HTTP_UPGRADE") or "").lower() == "websocket":
        return 101
    return 500


def _status_code(status: str) -> int:
    try:
        return int(status.split(" ", 1)[0])
    except ValueError:
        return 0


def _printable(text: str) -> str:
    """``text`` with control characters escaped, for the human-readable message (the
    JSON fields carry the value itself, escaped by JSON)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
