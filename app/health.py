"""``/healthz`` (liveness) and ``/readyz`` (readiness) for load balancers and orchestrators.

Liveness answers "is this process serving HTTP?" and must not depend on anything else:
a liveness probe that fails when the database is down gets every app process restarted
at once, which helps nothing and turns an outage into a restart storm. So ``/healthz``
does no I/O at all.

Readiness answers "can this process do its work?": ``/readyz`` checks each dependency
the configuration names — the database, each configured Redis (rate limits, the
Socket.IO queue, the page cache), the search backend, and that the database's schema
is at the migrations' head (core and every enabled plug-in's branch; new code on an
old schema fails on its first query of a new column) — and answers 200 when all
respond, else 503 naming what is down, as JSON. A dependency that is down degrades
the site rather than breaking it (see the README), so a balancer may keep routing to a
process that is not ready; the answer is for operators and alerting as much as routing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask, current_app, jsonify

from app.extensions import db
from app.plugins import plugin_manager

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"
EXTENSION_KEY = "guildhall_readiness"
SCRIPTS_KEY = "guildhall_migration_scripts"
# A readiness probe must answer quickly even when a Redis host does not answer at all.
REDIS_TIMEOUT_SECONDS = 1.0
REDIS_SCHEMES = ("redis://", "rediss://", "unix://", "redis+unix://")


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = {}  # Redis clients by URL, made on first probe
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/readyz", "readyz", readyz)


def healthz() -> Any:
    """Liveness: the process answers. No I/O."""
    return "ok", 200, {"Content-Type": "text/plain", "Cache-Control": "no-store"}


def readyz() -> Any:
    """Readiness: every configured dependency answers (JSON; 503 names what is down)."""
    checks: dict[str, dict[str, Any]] = {}
    for name, check in dependency_checks(current_app).items():
        error = _run(check)
        checks[name] = {"ok": True} if error is None else {"ok": False, "error": error}
    down = sorted(name for name, result in checks.items() if not result["ok"])
    body = {"status": "unavailable" if down else "ok", "down": down, "checks": checks}
    response = jsonify(body)
    response.status_code = 503 if down else 200
    response.headers["Cache-Control"] = "no-store"
    return response


def dependency_checks(app: Flask) -> dict[str, Callable[[], None]]:
    """Name → check (raises when the dependency is down), for what ``app`` is configured to use."""
    config = app.config
    checks: dict[str, Callable[[], None]] = {"database": _check_database, "search": _check_search}
    if config.get("READYZ_MIGRATIONS", True):
        checks["migrations"] = _check_migrations
    redis_urls = {
        "redis.ratelimit": config.get("RATELIMIT_STORAGE_URI") if config.get("RATELIMIT_ENABLED") else None,
        "redis.socketio": config.get("SOCKETIO_MESSAGE_QUEUE"),
        "redis.pagecache": config.get("PAGE_CACHE_REDIS_URL"),
    }
    for name, url in redis_urls.items():
        if url and str(url).startswith(REDIS_SCHEMES):
            checks[name] = _redis_check(app, str(url))
    return checks


def _run(check: Callable[[], None]) -> str | None:
    """None when the check passed, else the error's class name (never its message: a
    connection error may quote a URL with its password)."""
    try:
        check()
    except Exception as error:  # any failure means "down"
        current_app.logger.warning("readiness: %s", error.__class__.__name__, exc_info=True)
        return error.__class__.__name__
    return None


def _check_database() -> None:
    try:
        db.session.execute(sa.text("SELECT 1"))
    finally:
        _end_transaction()


def _check_search() -> None:
    """The configured backend can serve: PostgreSQL's table answers, or Whoosh's index
    folder (or the folder it will be created in) is writable."""
    if (current_app.config.get("SEARCH_BACKEND") or "whoosh").lower() == "postgres":
        try:
            db.session.execute(sa.text("SELECT 1 FROM search_document LIMIT 1"))
        finally:
            _end_transaction()
        return
    configured = current_app.config.get("SEARCH_INDEX_DIR")
    folder = Path(configured) if configured else Path(current_app.instance_path) / "search"
    existing = next(path for path in (folder, *folder.parents) if path.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(f"search index folder {existing} is not a writable folder")


class MigrationsBehind(Exception):
    """The database lacks revisions this code's migrations have: run ``flask db upgrade``."""


def _check_migrations() -> None:
    """Every head of the migration scripts (core and plug-in branches) is applied.

    A database stamped with a revision this code does not know was migrated by a
    newer release (a rolling deploy): this process cannot judge it and stays ready
    rather than take itself out of rotation mid-deploy.
    """
    script = _script_directory(current_app)
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    heads = set(script.get_heads())
    missing = heads - current
    if not missing:
        return
    unknown = {revision for revision in current if not _known(script, revision)}
    if not unknown:
        raise MigrationsBehind(f"not applied: {', '.join(sorted(missing))}")


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except CommandError:  # not one of ours (or an ambiguous prefix of several)
        return False


def _script_directory(app: Flask) -> ScriptDirectory:
    """The migration scripts as ``migrations/env.py`` sees them: core versions plus
    each enabled plug-in's folder from the ``migrations_folders`` hook. Read once per
    app (the files do not change under a running process)."""
    script = app.extensions.get(SCRIPTS_KEY)
    if script is None:
        folders = [str(MIGRATIONS / "versions")]
        for contributed in plugin_manager(app).hook.migrations_folders():
            folders.extend(str(folder) for folder in contributed or [])
        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("path_separator", "newline")
        config.set_main_option("version_locations", "\n".join(folders))
        script = app.extensions[SCRIPTS_KEY] = ScriptDirectory.from_config(config)
    return script


def _end_transaction() -> None:
    try:
        db.session.rollback()
    except Exception:  # the check already reports the failure
        current_app.logger.debug("readiness: rollback failed", exc_info=True)


def _redis_check(app: Flask, url: str) -> Callable[[], None]:
    def check() -> None:
        _redis_client(app, url).ping()

    return check


def _redis_client(app: Flask, url: str) -> Any:
    """One client (and connection pool) per URL for the app's lifetime."""
    # Optional dependency: only when a Redis URL is configured.
    import redis

    clients: dict[str, Any] = app.extensions[EXTENSION_KEY]
    client = clients.get(url)
    if client is None:
        client = redis.Redis.from_url(
            url.replace("redis+unix://", "unix://", 1),
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        clients[url] = client
    return client
