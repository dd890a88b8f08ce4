"""Unbound Flask extensions; ``create_app`` binds them to an application."""

from __future__ import annotations

import socketio as python_socketio
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from app.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
socketio = SocketIO()
# No default limits: limits are declared where abuse is possible (login, posting).
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# A Redis host that does not answer must not hold a request (whose after-commit
# broadcast publishes to it) for the operating system's connect timeout of minutes.
# Only the connect is bounded: the queue's listener blocks on its subscription by design.
SOCKETIO_REDIS_OPTIONS = {"socket_connect_timeout": 1}


def socketio_async_mode() -> str:
    """Flask-SocketIO's async mode for the server this process runs under.

    gunicorn's gevent worker (``-k gevent``, the production default) monkey-patches the
    standard library before it loads the app, so sockets, locks and threads are
    greenlets and python-engineio must use its gevent driver (simple-websocket on
    gevent's primitives); everything else (``flask run-server``, ``gunicorn --threads``,
    the tests) runs real threads. Chosen by what is patched, not by what is installed:
    Flask-SocketIO's own auto-detection picks gevent whenever it is importable, which
    would be wrong for a threaded server in the same environment.
    """
    try:
        # Optional dependency: only when the gevent worker is chosen.
        from gevent import monkey
    except ImportError:
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


def socketio_client_manager(url: str | None, channel: str) -> python_socketio.Manager | None:
    """The Socket.IO queue manager for ``url`` (None: this process only).

    Built here rather than by Flask-SocketIO from ``message_queue`` because only the
    manager's constructor takes ``redis_options``. Passing it every time (None too)
    also stops the one ``socketio`` object from reusing the previous app's manager
    (Flask-SocketIO keeps it in ``server_options`` across ``init_app`` calls).
    """
    if not url:
        return None
    if url.startswith(("redis://", "rediss://")):
        return python_socketio.RedisManager(url, channel=channel, redis_options=dict(SOCKETIO_REDIS_OPTIONS))
    if url.startswith("kafka://"):
        return python_socketio.KafkaManager(url, channel=channel)
    if url.startswith("zmq"):
        return python_socketio.ZmqManager(url, channel=channel)
    return python_socketio.KombuManager(url, channel=channel)
