"""Observability: request ids, structured logs, metrics (readiness is ``app/health.py``).

``init_app`` runs last in ``create_app``, so its WSGI layer
(:class:`~app.observability.middleware.RequestObserver`) wraps every other one and
sees every request, including those answered before Flask runs. Settings:
``LOG_FORMAT`` / ``LOG_LEVEL`` / ``LOG_REQUESTS`` (:mod:`.logs`), ``METRICS_ENABLED``
/ ``METRICS_ALLOW`` (:mod:`.metrics`).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request, session

from app.extensions import socketio
from app.jobs.services import queue_stats
from app.observability import logs, metrics
from app.observability.middleware import STATE_ENVIRON, RequestObserver, RequestState
from app.observability.request_ids import current_request_id

__all__ = ["configure_logging", "current_request_id", "init_app"]

configure_logging = logs.configure_logging


def init_app(app: Flask) -> None:
    """Serve ``/metrics`` when enabled and wrap the WSGI app.

    Logging is the process's, not the app's: ``wsgi.py`` (gunicorn, every ``flask``
    command) calls :func:`configure_logging`, so an app built in a test or a script
    leaves the logging of its process alone.
    """

    logs.check_format(app.config.get("LOG_FORMAT"))  # the process sets it up: wsgi.py
    metrics.init_app(app)
    metrics.set_job_stats_source(app, queue_stats)
    record_metrics = metrics.enabled(app)
    if record_metrics and socketio.server is not None:
        metrics.instrument_socketio(socketio.server)
    app.teardown_request(_note_endpoint_and_user)
    app.wsgi_app = RequestObserver(  # type: ignore[method-assign]
        app.wsgi_app,
        log_requests=bool(app.config.get("LOG_REQUESTS")),
        record_metrics=record_metrics,
        socketio_path=str(app.config.get("SOCKETIO_PATH") or "socket.io"),
    )


def _note_endpoint_and_user(_error: BaseException | None = None) -> None:
    """Tell the WSGI layer the URL rule's endpoint and the member of this request.

    The member is the one the signed session cookie names (Flask-Login's
    ``_user_id``, which Guildhall makes ``<user id>:<token>:<key>``), read after the
    response is built, so it is the member after a sign-in or none after a sign-out;
    reading it loads nothing from the database (a request that failed because the
    database is down must not try again here). Socket.IO events run in request
    contexts over their connection's environ: they must not relabel a finished request.
    """
    state = request.environ.get(STATE_ENVIRON)
    if not isinstance(state, RequestState) or state.finished:
        return
    if request.url_rule is not None and state.endpoint is None:
        state.endpoint = request.url_rule.endpoint
    state.user_id = _session_user_id()


def _session_user_id() -> int | None:
    claimed: Any = session.get("_user_id")
    ident = str(claimed or "").partition(":")[0]
    return int(ident) if ident.isdigit() and len(ident) < 19 else None
