"""``flask run-server``: serve HTTP and Socket.IO from one process.

``flask run`` knows nothing about WebSockets; Flask-SocketIO's runner (threading mode
with simple-websocket) serves both, which is what ``make run`` needs for live chat.
Production uses gunicorn instead (see the README).
"""

from __future__ import annotations

import os

import click
from flask import Flask
from flask.cli import ScriptInfo, pass_script_info
from werkzeug.serving import WSGIRequestHandler

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
SERVER_NAME = "Guildhall"


class RequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler without its version banner.

    ``http.server`` sends ``Server: <server_version> <sys_version>`` on every response
    (``Werkzeug/3.1.9 Python/3.11.2``): a free hint for anyone matching versions to
    known flaws. ``version_string`` is the documented hook that builds that header.
    """

    def version_string(self) -> str:
        return SERVER_NAME


def _default_host() -> str:
    return os.environ.get("HOST") or DEFAULT_HOST


def _default_port() -> int:
    return int(os.environ.get("PORT") or DEFAULT_PORT)


def public_url(host: str, port: int) -> str:
    """The URL to print: wildcard binds are reachable on loopback."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104 - only for display
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def use_served_base_url(app: Flask, host: str, port: int) -> None:
    """Links in email point at the host and port this server answers on, unless the
    deployment set ``SERVER_BASE_URL``: ``PORT=5622 make run`` must not email links
    to port 5000 (issue 20)."""
    if not os.environ.get("SERVER_BASE_URL"):
        app.config["SERVER_BASE_URL"] = public_url(host, port).rstrip("/")


@click.command("run-server")
@click.option("--host", default=_default_host, show_default="$HOST or 127.0.0.1", help="Interface to bind.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=_default_port, show_default="$PORT or 5000", help="Port."
)
@click.option(
    "--worker/--no-worker",
    default=None,
    help="Run the periodic jobs in this process too (default: the JOBS_IN_SERVER setting, on).",
)
@pass_script_info
def run_server_command(info: ScriptInfo, host: str, port: int, worker: bool | None) -> None:
    """Serve Guildhall (pages and live updates) with Flask-SocketIO's server, and run
    the background jobs beside it.

    The worker is a scheduler thread in this process rather than a second process the
    Makefile starts: Ctrl-C then stops both, nothing is left running in the background,
    and ``make run`` needs no process manager. It claims each run in the database like
    ``flask worker``, so running that as well does no job twice.
    """
    # The server's modules load only when the command runs, not with every CLI call.
    from app.core.heap import prepare_server_heap
    from app.extensions import socketio
    from app.jobs.scheduler import Worker

    app = info.load_app()
    use_served_base_url(app, host, port)
    prepare_server_heap()
    # Flask's app.run() (which Flask-SocketIO calls) refuses to start under the `flask`
    # CLI unless this marker is gone; this command is the deliberate exception.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    jobs = Worker(app) if (app.config.get("JOBS_IN_SERVER", True) if worker is None else worker) else None
    if jobs is not None:
        jobs.start()
        click.echo(f" * Background worker running {len(jobs.jobs)} periodic job(s) in this process")
    click.echo(f" * Guildhall is running at {public_url(host, port)} (press CTRL+C to quit)")
    try:
        socketio.run(
            app,
            host=host,
            port=port,
            debug=app.debug,
            use_reloader=False,
            allow_unsafe_werkzeug=True,
            # Flask-SocketIO passes extra options through app.run() to Werkzeug's run_simple.
            request_handler=RequestHandler,
        )
    finally:
        if jobs is not None:
            jobs.stop(wait=True)  # a run in progress finishes and is recorded


def register(app: Flask) -> None:
    """Attach ``flask run-server`` to the app's CLI."""
    app.cli.add_command(run_server_command)
