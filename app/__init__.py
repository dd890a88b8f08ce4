"""Application factory: binds extensions, registers blueprints, builds the plug-in
manager, registers Socket.IO namespaces and CLI groups.

Wiring only: no I/O beyond creating the instance folder, no migrations, no network.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

from config import CONFIGS, INSECURE_SECRET, Config

ROOT = Path(__file__).resolve().parent.parent
# Connections a SQLite file's pool keeps open (see _engine_defaults).
SQLITE_POOL_SIZE = 20


def create_app(
    config: type[Config] | str | None = None, instance_path: str | None = None, **overrides: object
) -> Flask:
    """Build a Guildhall application.

    ``config`` is a config class or a name (development, testing, production);
    by default ``GUILDHALL_CONFIG`` or development. ``overrides`` win over both.
    """
    if config is None or isinstance(config, str):
        name = config or os.environ.get("GUILDHALL_CONFIG", "development")
        config = CONFIGS[name]

    app = Flask(
        __name__,
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
        instance_path=instance_path or os.environ.get("GUILDHALL_INSTANCE") or str(ROOT / "instance"),
        instance_relative_config=True,
    )
    app.config.from_object(config)
    app.config.update(overrides)
    _check_production(app)
    _fill_defaults(app)

    from app import extensions as ext
    from app import models  # noqa: F401 - complete metadata for Alembic

    ext.db.init_app(app)
    ext.migrate.init_app(app, ext.db, directory=str(ROOT / "migrations"), render_as_batch=True)
    ext.login_manager.init_app(app)
    ext.csrf.init_app(app)
    ext.limiter.init_app(app)
    ext.socketio.init_app(
        app,
        async_mode=ext.socketio_async_mode(),
        client_manager=ext.socketio_client_manager(
            app.config.get("SOCKETIO_MESSAGE_QUEUE"), app.config.get("SOCKETIO_CHANNEL") or "flask-socketio"
        ),
        # None = same origin only; an empty list would switch python-engineio's origin
        # check off entirely (any site could open a socket with the user's cookie).
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS") or None,
        manage_session=False,
    )
    if app.config.get("SOCKETIO_DIRECT_WRITES", True):
        from app.chat import direct_writes

        direct_writes.install(ext.socketio.server.eio)

    from app import observability, theme, web

    web.init_app(app)
    theme.init_app(app)
    _register_features(app)
    # Last: its WSGI layer must wrap every other one (page cache, Socket.IO, headers).
    observability.init_app(app)
    return app


def _check_production(app: Flask) -> None:
    """Refuse to serve production traffic with the development secret."""
    if app.config.get("CONFIG_NAME") != "production":
        return
    secret = app.config.get("SECRET_KEY") or ""
    if secret == INSECURE_SECRET or len(secret) < 32:
        raise RuntimeError(
            "Guildhall refuses to start in production without a real SECRET_KEY: "
            "set the SECRET_KEY environment variable to a random string of at least "
            '32 characters (python -c "import secrets; print(secrets.token_urlsafe(48))").'
        )


def _fill_defaults(app: Flask) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'guildhall.sqlite'}"
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_defaults(
        app.config["SQLALCHEMY_DATABASE_URI"],
        app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {},
        {name: app.config.get(name) for name in POOL_SETTINGS},
    )
    app.config.setdefault("MAIL_OUTBOX_DIR", None)
    if not app.config.get("MAIL_OUTBOX_DIR"):
        app.config["MAIL_OUTBOX_DIR"] = str(Path(app.instance_path) / "outbox")


# DATABASE_POOL_* setting → (SQLAlchemy create_engine argument, type, smallest value).
POOL_SETTINGS = {
    "DATABASE_POOL_SIZE": ("pool_size", int, 1),
    "DATABASE_MAX_OVERFLOW": ("max_overflow", int, 0),
    "DATABASE_POOL_TIMEOUT": ("pool_timeout", float, 0.1),
}


def _pool_options(settings: dict) -> dict:
    """The ``DATABASE_POOL_*`` settings given (environment strings or numbers) as
    create_engine arguments; a value that is not a number, or too small, stops start-up
    with a message naming the setting."""
    options: dict = {}
    for name, value in settings.items():
        if value is None or value == "":
            continue
        argument, kind, smallest = POOL_SETTINGS[name]
        number = None
        if not isinstance(value, str) or value.isascii():  # int() also reads "٣" as 3
            try:
                number = kind(value.strip() if isinstance(value, str) else value)
            except (TypeError, ValueError):
                number = None
        if number is None or isinstance(value, bool) or not number >= smallest:  # NaN fails too
            what = "a whole number" if kind is int else "a number of seconds"
            raise RuntimeError(f"{name} must be {what} of at least {smallest}, not {value!r}.")
        options[argument] = number
    return options


def _engine_defaults(uri: str, options: dict, pool: dict | None = None) -> dict:
    """Pool settings for the database in ``uri``; ``options`` set in the config win,
    then the ``DATABASE_POOL_*`` settings in ``pool`` (an in-memory SQLite database
    has no pool to size, and ignores them).

    A server connection can be dropped behind the pool's back (a restart, an idle
    timeout), so it is pinged at checkout. A SQLite file cannot: the ping would be one
    more statement on every request and every chat event for nothing. And since every
    Socket.IO event runs in its own thread, bursts of events hold more connections at
    once than the default pool keeps (5): the overflow was closed on return and opened
    again (with its PRAGMAs) on the next burst, so a SQLite file keeps a larger pool.
    """
    url = make_url(uri)
    sqlite = url.get_backend_name() == "sqlite"
    defaults: dict = {"pool_pre_ping": not sqlite}
    in_memory = sqlite and url.database in (None, "", ":memory:")
    if sqlite and not in_memory:
        defaults["pool_size"] = SQLITE_POOL_SIZE
    sized = {} if in_memory else _pool_options(pool or {})
    return defaults | sized | options


def _register_features(app: Flask) -> None:
    from app import demo, serve
    from app.accounts import cli as accounts_cli
    from app.accounts import hooks as accounts_hooks
    from app.accounts.views import bp as accounts_bp
    from app.admin import hooks as admin_hooks
    from app.admin.views import bp as admin_bp
    from app.chat import cli as chat_cli
    from app.chat import hooks as chat_hooks
    from app.chat import sockets as chat_sockets
    from app.chat.views import bp as chat_bp
    from app.core import live
    from app.core import settings as core_settings
    from app.datatransfer import cli as datatransfer_cli
    from app.directory import hooks as directory_hooks
    from app.directory.views import bp as directory_bp
    from app.forums import cli as forums_cli
    from app.forums import hooks as forum_hooks
    from app.forums.views import bp as forums_bp
    from app.jobs import cli as jobs_cli
    from app.jobs import hooks as jobs_hooks
    from app.moderation import hooks as moderation_hooks
    from app.moderation.views import bp as moderation_bp
    from app.network import hooks as network_hooks
    from app.network.views import bp as network_bp
    from app.notifications import cli as notifications_cli
    from app.notifications import hooks as notification_hooks
    from app.notifications.views import bp as notifications_bp
    from app.plugins import build_plugin_manager
    from app.qa import cli as qa_cli
    from app.qa import hooks as qa_hooks
    from app.qa.views import bp as qa_bp
    from app.referrals import hooks as referral_hooks
    from app.referrals.views import bp as referrals_bp
    from app.search import cli as search_cli
    from app.search import hooks as search_hooks
    from app.search.views import bp as search_bp
    from app.uploads import hooks as upload_hooks
    from app.uploads import init_app as init_uploads

    for bp in (accounts_bp, forums_bp, moderation_bp, notifications_bp):
        app.register_blueprint(bp)
    app.register_blueprint(chat_bp)
    app.register_blueprint(qa_bp)
    app.register_blueprint(search_bp)
    for bp in (directory_bp, network_bp, referrals_bp):
        app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    search_cli.register(app)
    qa_cli.register(app)
    chat_cli.register(app)
    chat_sockets.register(app)
    live.register(app)
    accounts_cli.register(app)
    forums_cli.register(app)
    demo.register(app)
    serve.register(app)
    jobs_cli.register(app)
    datatransfer_cli.register(app)
    notifications_cli.register(app)
    core_settings.init_app(app)
    init_uploads(app)

    core_hooks = [accounts_hooks, forum_hooks, moderation_hooks, notification_hooks]
    core_hooks.append(chat_hooks)
    core_hooks.append(live)  # per-user pushes stop at sign-out and suspension
    core_hooks.append(qa_hooks)  # its post_created runs first by tryfirst, not by this order
    core_hooks.append(search_hooks)
    core_hooks.extend([directory_hooks, network_hooks, referral_hooks])
    core_hooks.append(upload_hooks)
    core_hooks.append(admin_hooks)
    core_hooks.append(jobs_hooks)
    manager = build_plugin_manager(app, internal=core_hooks)
    manager.hook.register_blueprints(app=app)
    manager.hook.register_cli(cli=app.cli)
