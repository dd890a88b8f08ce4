"""Log output: one JSON object per line in production, Python's usual text in development.

A log collector (journald, Docker, Loki, CloudWatch) indexes JSON fields without
fragile parsing, and a JSON line can never be split or forged by a newline in a path
or a message: ``json.dumps`` escapes it. Every record logged while a request runs
carries that request's id (:mod:`app.observability.request_ids`), so the request line
and the error logged inside it can be found together.

``LOG_FORMAT``: ``json`` (ProductionConfig's default), ``text``, or empty (the
default elsewhere): leave Python's logging as it is, so ``make run`` prints what
Flask and Werkzeug always printed. ``LOG_LEVEL`` is the root logger's level when a
format is set.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from flask.logging import default_handler

from app.observability.request_ids import current_request_id

FORMATS = ("json", "text", "")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# The attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (the current request's, or ``-`` outside a request) to every
    record that passes through the handler it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, the
    request id, every ``extra=`` field, and the traceback as one string."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id and request_id != "-":
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and key not in entry and key != "request_id":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def check_format(value: Any) -> str:
    """The configured ``LOG_FORMAT``, lower-cased; start-up stops on anything unknown."""
    fmt = str(value or "").strip().lower()
    if fmt not in FORMATS:
        raise RuntimeError(f"LOG_FORMAT must be json, text or empty, not {value!r}.")
    return fmt


def make_handler(fmt: str, stream: Any = None) -> logging.Handler:
    """A stream handler (stderr by default) writing ``fmt`` lines with request ids."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.guildhall_log_handler = True  # type: ignore[attr-defined]
    return handler


def configure_logging(app: Any) -> None:
    """Route every logger through one root handler in the configured format.

    Idempotent (the test suite and ``flask`` commands build several apps): the
    handler installed by an earlier call is replaced, never doubled. Flask's own
    default handler is taken off ``app.logger`` (Flask documents doing so), or its
    records would come out twice, once as plain text.
    """
    fmt = check_format(app.config.get("LOG_FORMAT"))
    if not fmt:
        return
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "guildhall_log_handler", False):
            root.removeHandler(existing)
    root.addHandler(make_handler(fmt))
    root.setLevel(str(app.config.get("LOG_LEVEL") or "INFO").upper())
    app.logger.removeHandler(default_handler)
