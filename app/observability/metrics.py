"""Prometheus metrics at ``/metrics``, in prometheus-client's multi-process mode.

gunicorn runs several processes, and a scrape reaches one of them: each process
therefore writes its samples to memory-mapped files in ``PROMETHEUS_MULTIPROC_DIR``
and ``/metrics`` answers the sum over every process's files. The folder must exist,
be empty when the server starts (stale files from an earlier run would be counted),
and be set in the environment *before* Python starts, since prometheus-client
chooses its storage on import. When a worker exits, gunicorn's ``child_exit`` hook
must call :func:`mark_process_dead` with its pid, so the Socket.IO connection gauge
stops counting a dead worker's sockets. Without the variable, one process's own
numbers are served (``make run``).

Only what an operator acts on, and with bounded label values: a client chooses the
path, the method and the Socket.IO event name, so requests are labelled by the URL
rule's endpoint (``forums.topic``, never ``/t/123-…``), methods outside the usual
few become ``other``, status by class (``2xx``), and events by the handler that
exists (else ``unknown``):

* ``guildhall_http_request_duration_seconds{endpoint,cache}`` — latency histogram;
  ``cache`` is ``hit`` / ``miss`` / ``none`` (the page cache's header) and pages
  the cache answered before Flask ran have the endpoint ``pagecache``;
* ``guildhall_http_requests_total{endpoint,method,status}``;
* ``guildhall_socketio_connections{namespace}`` (live sum over processes) and
  ``guildhall_socketio_events_total{namespace,event}``;
* at scrape time, from the database: ``guildhall_search_pending_documents`` and
  ``guildhall_search_pending_oldest_seconds`` (the search index's lag behind the
  database: rows in the ``search_pending`` retry queue), and
  ``guildhall_jobs{state}`` (``pending`` is the queue's depth, ``failed`` the jobs
  that gave up) from the source set with :func:`set_job_stats_source`.

``METRICS_ENABLED`` switches all of this on (off: no route, nothing recorded), and
``METRICS_ALLOW`` lists the client networks that may read it (default loopback);
everyone else gets a 404, as if there were nothing there. A request that came
through a proxy (it carries ``X-Forwarded-For``, ``Forwarded`` or ``X-Real-IP``) is
refused too: behind nginx on the same host every client has a loopback address, so
Prometheus must scrape the app processes directly, not through the public proxy.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from app.core.db import utcnow
from app.extensions import db

EXTENSION_KEY = "guildhall_metrics"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
DEFAULT_ALLOW = ("127.0.0.0/8", "::1/128")
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Endpoint labels for requests Flask never routed.
PAGECACHE_ENDPOINT = "pagecache"
SOCKETIO_ENDPOINT = "socketio"
UNMATCHED_ENDPOINT = "unmatched"
# Seconds: from a cached page (well under 5 ms) to a slow export; a WebSocket's
# upgrade request lasts as long as the socket and lands in +Inf.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUEST_LATENCY = Histogram(
    "guildhall_http_request_duration_seconds",
    "Time from the request's arrival to the last byte of its response.",
    ["endpoint", "cache"],
    buckets=LATENCY_BUCKETS,
)
REQUESTS = Counter("guildhall_http_requests", "HTTP requests answered.", ["endpoint", "method", "status"])
SOCKETIO_CONNECTIONS = Gauge(
    "guildhall_socketio_connections",
    "Open Socket.IO connections, by namespace.",
    ["namespace"],
    multiprocess_mode="livesum",
)
SOCKETIO_EVENTS = Counter(
    "guildhall_socketio_events", "Socket.IO events received, by namespace and event.", ["namespace", "event"]
)

JobStats = Callable[[], dict[str, float]]


# --- configuration ----------------------------------------------------------------
def allowed_networks(value: Any) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """``METRICS_ALLOW`` (a list, or a comma-separated string) as networks; start-up
    stops with the bad entry named."""
    items = (
        value.split(",") if isinstance(value, str) else list(value if value is not None else DEFAULT_ALLOW)
    )
    networks = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as error:
            raise RuntimeError(f"METRICS_ALLOW: {text!r} is not an address or network ({error}).") from None
    return networks


def client_allowed(environ: dict[str, Any], networks: list) -> bool:
    """The client at ``REMOTE_ADDR`` is in an allowed network and was not proxied."""
    if any(environ.get(name) for name in PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(str(environ.get("REMOTE_ADDR") or "").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def init_app(app: Flask) -> None:
    """Serve ``/metrics`` when ``METRICS_ENABLED``; nothing at all otherwise."""
    state: dict[str, Any] = {"networks": allowed_networks(app.config.get("METRICS_ALLOW")), "job_stats": None}
    app.extensions[EXTENSION_KEY] = state
    if enabled(app):
        app.add_url_rule("/metrics", "metrics", metrics_view)


def enabled(app: Flask) -> bool:
    return bool(app.config.get("METRICS_ENABLED"))


def set_job_stats_source(app: Flask, source: JobStats | None) -> None:
    """Where the job queue's numbers come from: a callable, run at scrape time inside
    the app context, returning ``{state: count}`` (``app.jobs.services.queue_stats``)."""
    app.extensions[EXTENSION_KEY]["job_stats"] = source


def mark_process_dead(pid: int) -> None:
    """gunicorn's ``child_exit(server, worker)`` hook calls this with ``worker.pid``:
    a dead worker's live gauges (its Socket.IO connections) stop counting. A no-op
    when multi-process mode is off."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)


# --- recording -----------------------------------------------------------------------
def observe_request(endpoint: str, method: str, status: int, cache: str, seconds: float) -> None:
    REQUEST_LATENCY.labels(endpoint, cache).observe(seconds)
    method = method if method in METHODS else "other"
    REQUESTS.labels(endpoint, method, f"{status // 100}xx" if 100 <= status < 600 else "other").inc()


def instrument_socketio(server: Any) -> None:
    """Count connections and events of every namespace registered on ``server``.

    python-socketio dispatches each event through its namespace object's public
    ``trigger_event(event, sid, *args)``; wrapping that method on our own namespace
    instances counts every namespace's traffic without touching the handlers.
    """
    for namespace, handler in list(server.namespace_handlers.items()):
        if getattr(handler, "guildhall_instrumented", False):
            continue
        handler.trigger_event = _counting(namespace, handler, handler.trigger_event)
        handler.guildhall_instrumented = True


def _counting(namespace: str, handler: Any, trigger: Callable) -> Callable:
    connected: set[str] = set()  # this process's sockets on the namespace

    def trigger_event(event: Any, *args: Any) -> Any:
        sid = args[0] if args else None
        if event == "connect":
            result = trigger(event, *args)  # a refusal raises or returns False
            if result is not False and sid not in connected:
                connected.add(sid)
                SOCKETIO_CONNECTIONS.labels(namespace).inc()
            return result
        if event == "disconnect":
            try:
                return trigger(event, *args)
            finally:
                if sid in connected:
                    connected.discard(sid)
                    SOCKETIO_CONNECTIONS.labels(namespace).dec()
        known = (
            isinstance(event, str)
            and event.isidentifier()
            and callable(getattr(handler, f"on_{event}", None))
        )
        SOCKETIO_EVENTS.labels(namespace, event if known else "unknown").inc()
        return trigger(event, *args)

    return trigger_event


# --- serving -----------------------------------------------------------------------
def metrics_view() -> Response:
    state = current_app.extensions[EXTENSION_KEY]
    if not client_allowed(request.environ, state["networks"]):
        abort(404)
    response = current_app.response_class(render(current_app), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def render(app: Flask) -> bytes:
    """The exposition text: every process's metrics (multi-process mode) or this
    process's, plus the numbers read from the database now."""
    registry = CollectorRegistry()
    path = os.environ.get(MULTIPROC_ENV)
    if path:
        multiprocess.MultiProcessCollector(registry, path=path)
    else:
        registry.register(_ThisProcess())
    registry.register(_DatabaseCollector(app))
    return generate_latest(registry)


class _ThisProcess(Collector):
    """The default registry's metrics (ours, and the process's own) in one process."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


class _DatabaseCollector(Collector):
    """Gauges read at scrape time: they describe shared state (the database), so any
    one process can tell them, and they need no per-process files."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily(
            "guildhall_metrics_source_up", "1 when a source of gauges could be read.", labels=["source"]
        )
        for name, read in (("search", self._search), ("jobs", self._jobs)):
            try:
                families = list(read())
            except Exception:  # a scrape must answer even when the database does not
                self.app.logger.warning("metrics: reading %s failed", name, exc_info=True)
                _rollback()
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up

    def _search(self) -> Iterator[Any]:
        """The search index's lag: documents waiting in the ``search_pending`` queue
        (written with each change, drained after commit) and the oldest one's age.
        Read through the table in the metadata, not the search package's models:
        observability reports on features, it does not depend on them."""
        table = db.metadata.tables.get("search_pending")
        if table is None:
            return
        try:
            count, oldest = db.session.execute(
                sa.select(sa.func.count(), sa.func.min(table.c.created_at))
            ).one()
        finally:
            _rollback()
        yield GaugeMetricFamily(
            "guildhall_search_pending_documents", "Documents waiting to be (re)indexed.", value=count or 0
        )
        age = (utcnow() - oldest).total_seconds() if isinstance(oldest, datetime) else 0.0
        yield GaugeMetricFamily(
            "guildhall_search_pending_oldest_seconds",
            "Age of the oldest document waiting to be indexed (0 when none wait).",
            value=max(age, 0.0),
        )

    def _jobs(self) -> Iterator[Any]:
        source: JobStats | None = self.app.extensions[EXTENSION_KEY].get("job_stats")
        if source is None:
            return
        try:
            stats = source() or {}
        finally:
            _rollback()
        family = GaugeMetricFamily(
            "guildhall_jobs", "Background jobs by state (pending = the queue's depth).", labels=["state"]
        )
        for state, value in sorted(stats.items()):
            if isinstance(value, int | float) and not isinstance(value, bool):
                family.add_metric([str(state)], float(value))
        yield family


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the failure is already logged
        current_app.logger.debug("metrics: rollback failed", exc_info=True)
