"""gunicorn settings for one Guildhall app process: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Socket.IO connections are long-lived and stateful, so each gunicorn instance runs ONE
worker process (gunicorn's own balancer cannot keep a client on one worker); more
capacity means more instances (``guildhall@8001``, ``guildhall@8002``, …, or more
compose replicas) behind nginx with sticky sessions and ``SOCKETIO_MESSAGE_QUEUE`` in
Redis. This is Flask-SocketIO's documented deployment.

Environment (each optional):
  HOST, PORT            where this instance listens (default 127.0.0.1:8000)
  GUNICORN_WORKER       ``threads`` (default: the gthread worker, Socket.IO in threading
                        mode with simple-websocket, as ``flask run-server`` serves it) or
                        ``gevent`` (gunicorn's gevent worker; needs gevent installed)
  GUNICORN_THREADS      threads of the ``threads`` worker (default 100: most sit in idle
                        Socket.IO connections; see README "Production" for pool sizing)
  GUNICORN_CONNECTIONS  simultaneous clients of the ``gevent`` worker (default 1000)
  GUNICORN_ACCESS_LOG   access log file, ``-`` for stdout (default: none)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKERS = {"threads": "gthread", "gevent": "gevent"}


def _bind_address() -> str:
    host = os.environ.get("HOST") or "127.0.0.1"
    port = os.environ.get("PORT") or "8000"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"{host}:{port}"


_choice = os.environ.get("GUNICORN_WORKER", "threads").strip().lower()
if _choice not in WORKERS:
    raise SystemExit(f"GUNICORN_WORKER must be one of {', '.join(WORKERS)}, not {_choice!r}")

chdir = str(ROOT)
bind = [_bind_address()]
workers = 1  # never more: see the docstring
worker_class = WORKERS[_choice]
threads = int(os.environ.get("GUNICORN_THREADS", 100))
worker_connections = int(os.environ.get("GUNICORN_CONNECTIONS", 1000))
# Several instances run on one host: the default control socket path would be shared.
control_socket_disable = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
# Stopping: open WebSockets are closed after this many seconds; clients reconnect to
# another instance (their sticky target is gone) and the session survives (it is a row).
graceful_timeout = 10


def on_starting(server) -> None:
    """Multi-process metrics: this instance's folder starts empty (README "Observability").

    Files left by an earlier run would be summed into ``/metrics`` as if alive. Each
    instance on a host needs a folder of its own (the systemd unit uses the port).
    """
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server, worker) -> None:
    """A worker process ended: its live Prometheus gauges (Socket.IO connections) stop
    counting. Only with multi-process metrics on, so the master imports the app's
    code only when it needs it."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        sys.path.insert(0, str(ROOT))
        from app.observability.metrics import mark_process_dead

        mark_process_dead(worker.pid)
