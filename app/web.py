"""HTTP wiring shared by every blueprint: login loading, error pages (HTML, or JSON
for JSON clients), security headers, template helpers, and the health checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, flash, jsonify, redirect, render_template, request
from flask_login import current_user, login_url
from markupsafe import Markup
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.middleware.proxy_fix import ProxyFix

from app import health, web_inputs
from app.accounts.models import Anonymous
from app.accounts.sessions import load_session_user
from app.core import pagecache
from app.core.errors import DomainError, NotFound, PermissionDenied, SignInRequired
from app.extensions import db, login_manager
from app.notifications.services import unread_count
from app.plugins import plugin_manager

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https:",
        "connect-src 'self' ws: wss:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Errors that mean "the database cannot be reached or is overloaded", not a bug: the
# server is down or restarting, a connection dropped, or the pool had none to give.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)
DATABASE_UNAVAILABLE = "The site is having trouble reaching its database. Please try again in a moment."
DATABASE_RETRY_AFTER = "30"
# Paths whose every answer, errors included, is JSON.
JSON_PATH_PREFIXES = ("/api/", "/chat/api/")


def safe_next_url(target: str | None, fallback: str = "/") -> str:
    """Return ``target`` only if it is a local path; anything else gives ``fallback``.

    Rejects absolute and scheme-relative URLs, backslash tricks and control characters
    that browsers normalise into another host.
    """
    if not target or not isinstance(target, str):
        return fallback
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return fallback
    if not target.startswith("/") or target.startswith("//"):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


def form_status() -> int:
    """A re-rendered form after a POST means the input was refused."""
    return 400 if request.method == "POST" else 200


def form_error(form: Any, error: DomainError, *, reraise_access: bool = True) -> None:
    """Roll back a refused write and show the service's message on the form: on the
    field it names, else above the form. Not-found and not-allowed errors go to the
    error page instead (private things answer 404), unless ``reraise_access`` is off."""
    db.session.rollback()
    if reraise_access and isinstance(error, NotFound | PermissionDenied):
        raise error
    target = getattr(form, error.field, None) if error.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*list(target.errors or []), error.message]
    else:
        form.form_errors.append(error.message)


def is_json_path(path: str) -> bool:
    """An API path or a ``.json`` document: its clients parse every answer as JSON."""
    return path.startswith(JSON_PATH_PREFIXES) or path.endswith(".json")


def wants_json() -> bool:
    """Answer this request (and its errors) in JSON: a JSON path, a JSON body (a
    ``fetch`` from our scripts), or an ``Accept`` header that prefers JSON to HTML."""
    if is_json_path(request.path) or request.is_json:
        return True
    return request.accept_mimetypes.best_match(("text/html", "application/json")) == "application/json"


def is_database_error(error: BaseException | None) -> bool:
    """True for the errors that mean the database is unreachable (also when wrapped in
    the 500 Flask makes of an exception an error handler raised)."""
    if isinstance(error, InternalServerError):
        error = error.original_exception
    return isinstance(error, DATABASE_ERRORS)


def rollback_quietly() -> None:
    """Roll back what a failed request left pending. In an error handler a rollback
    must not raise: with the database gone there is nothing to undo, and an exception
    here would leave the server to answer with its own unstyled 500."""
    try:
        db.session.rollback()
    except Exception:  # the connection may be gone; nothing to undo then
        current_app.logger.debug("rollback in an error handler failed", exc_info=True)


def database_unavailable() -> Response:
    """The 503 for "the database cannot be reached", built without touching it.

    Nothing here may load the user, count notifications or ask a plug-in: each would
    be one more query against the database that just failed (and one more connect
    timeout). The HTML page is a self-contained template rendered straight from the
    Jinja environment, so the context processors (Flask-Login's loads the user) never run.
    """
    rollback_quietly()
    if wants_json():
        response = jsonify(error=DATABASE_UNAVAILABLE)
    else:
        template = current_app.jinja_env.get_template("errors/database.html")
        html = template.render(
            site_name=current_app.config.get("SITE_NAME") or "Guildhall", message=DATABASE_UNAVAILABLE
        )
        response = current_app.response_class(html, mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = DATABASE_RETRY_AFTER
    response.headers["Cache-Control"] = "no-store"
    return response


def error_response(code: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> Any:
    """An error in the request's format: JSON for JSON clients, else the error page.

    Rendering the page loads the signed-in user and the header's counts; when that
    fails because the database is down, the answer is the database 503 instead of an
    exception inside the error handler (which the server would answer with its own
    unstyled 500).
    """
    if wants_json():
        response = jsonify(error=message)
    else:
        try:
            response = current_app.make_response(
                render_template("errors/error.html", code=code, message=message)
            )
        except DATABASE_ERRORS:
            return database_unavailable()
    response.status_code = code
    for name, value in headers:
        response.headers[name] = value
    return response


def _error_headers(error: HTTPException) -> list[tuple[str, str]]:
    """The headers an HTTP error carries besides its body's type: ``Allow`` on a 405,
    ``Retry-After`` on a 429 or 503, ``WWW-Authenticate`` on a 401."""
    return [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]


def init_app(app: Flask) -> None:
    login_manager.anonymous_user = Anonymous
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    pagecache.init_app(app)
    web_inputs.init_app(app)

    login_manager.user_loader(load_session_user)  # a live server-side session, see accounts.sessions

    @login_manager.unauthorized_handler
    def unauthorized() -> Any:
        """A visitor on a members-only URL: JSON clients get a 401 they can act on
        (a redirect to the HTML sign-in page is a parse error to them); browsers get
        Flask-Login's usual flashed message and redirect to the sign-in page."""
        if wants_json():
            return jsonify(error="Sign in first."), 401
        flash(login_manager.login_message, login_manager.login_message_category)
        return redirect(login_url(login_manager.login_view, next_url=request.url))

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        # A service error means nothing of this request may be written.
        rollback_quietly()
        if isinstance(error, SignInRequired):
            return unauthorized()
        if wants_json():
            return jsonify(error=error.message, field=error.field), error.status_code
        return error_response(error.status_code, error.message)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if is_database_error(error):
            return database_unavailable()
        code = error.code or 500
        if code >= 500:
            rollback_quietly()
        return error_response(code, error.description or "", _error_headers(error))

    for database_error in DATABASE_ERRORS:
        app.register_error_handler(database_error, handle_database_error)

    @app.errorhandler(Exception)
    def handle_unexpected_error(error: Exception):
        """Roll back whatever the failed request left pending, log it, answer a plain
        500 page (rendering it must not touch the broken transaction)."""
        rollback_quietly()
        if app.testing:
            raise error  # tests want the traceback, not a page
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "Something went wrong on our side. It has been logged.")

    app.wsgi_app = SecurityHeadersMiddleware(app.wsgi_app, security_headers(app.config))  # type: ignore[method-assign]
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind nginx every request comes from the proxy's address: without this, rate
        # limits keyed by client address would count all visitors as one, and HTTPS
        # requests would look like plain HTTP. Only the last ``proxies`` hops are trusted.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    health.init_app(app)

    @app.context_processor
    def template_helpers() -> dict:
        return {
            "nav_items": _nav_items,
            "panel": _panel,
            "plugin_panels": _plugin_panels,
            "unread_notifications": _unread_notifications,
        }


def handle_database_error(error: Exception) -> Response:
    """Any page or API call while the database is unreachable: a 503, logged once per
    request without a traceback (the cause is outside the code)."""
    current_app.logger.error("database unavailable on %s %s: %s", request.method, request.path, error)
    return database_unavailable()


def security_headers(config: Any) -> list[tuple[str, str]]:
    """The headers every response carries. HSTS only when ``HSTS_MAX_AGE`` is set
    (production sets it): in development the site is plain HTTP on loopback, and a
    browser told to insist on HTTPS for 127.0.0.1 would refuse every other local app."""
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
    ]
    max_age = config.get("HSTS_MAX_AGE")
    if max_age is not None:
        value = f"max-age={int(max_age)}"
        if config.get("HSTS_INCLUDE_SUBDOMAINS", True):
            value += "; includeSubDomains"
        headers.append(("Strict-Transport-Security", value))
    return headers


class SecurityHeadersMiddleware:
    """Adds the security headers to every response of the WSGI application below it.

    An ``after_request`` hook only sees what Flask answers; Socket.IO's long-polling
    requests are answered by python-engineio's WSGI middleware before Flask runs, and
    cached pages by the page cache's fast path. Wrapping the outermost WSGI callable
    covers all of them. A header the response already has is left as it is.
    """

    def __init__(self, wsgi_app: Callable, headers: list[tuple[str, str]]) -> None:
        self.wsgi_app = wsgi_app
        self.headers = headers

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        def with_headers(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            extra = [(name, value) for name, value in self.headers if name.lower() not in present]
            return start_response(status, [*headers, *extra], exc_info)

        return self.wsgi_app(environ, with_headers)


def _nav_items() -> list[dict]:
    items: list[dict] = []
    for contributed in plugin_manager(current_app).hook.nav_items(actor=current_user):
        items.extend(contributed or [])
    return sorted(items, key=lambda item: item.get("order", 100))


def _panel(name: str, **context: object) -> Markup:
    """Render a template hook slot; plug-ins return markup they rendered with Jinja."""

    parts = plugin_manager(current_app).hook.template_panel(name=name, context=context)
    return Markup("".join(str(part) for part in parts if part))  # noqa: S704 - hook contract: plug-ins return rendered templates


PANEL_HOOKS = {"profile": "profile_panels", "organization": "organization_panels"}


def _plugin_panels(page: str, subject: object, viewer: object) -> list[dict]:
    """The titled panels plug-ins add to a profile or organization page, by ``order``.

    Unlike ``panel`` slots (markup placed where a core template leaves room), these are
    whole cards the core frames alike: a title the page shows as a heading, and the
    plug-in's rendered ``html``. A panel without a title or html is dropped.
    """
    hook = getattr(plugin_manager(current_app).hook, PANEL_HOOKS[page])
    keyword = "user" if page == "profile" else "organization"
    panels = [
        {
            "title": str(item["title"]),
            "html": Markup(str(item["html"])),  # noqa: S704 - hook contract: rendered by the plug-in's Jinja template
            "order": int(item.get("order", 100)),
        }
        for answer in hook(**{keyword: subject, "viewer": viewer})
        for item in answer or []
        if item.get("title") and item.get("html")
    ]
    return sorted(panels, key=lambda item: (item["order"], item["title"]))


def _unread_notifications() -> int:
    if not current_user.is_authenticated:
        return 0

    return unread_count(current_user)
