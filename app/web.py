"""HTTP wiring shared by every blueprint: login loading, error pages, security
headers, template helpers and the health check."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, jsonify, render_template, request
from flask_login import current_user
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from app.core import pagecache
from app.core.errors import DomainError, NotFound, PermissionDenied
from app.extensions import db, login_manager

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


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app: Flask) -> None:
    from app.accounts.models import Anonymous, User

    login_manager.anonymous_user = Anonymous
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    pagecache.init_app(app)

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        ident, _, token = user_id.partition(":")
        if not ident.isdigit():
            return None
        user = db.session.get(User, int(ident))
        if user is None or user.session_token != token or user.is_suspended:
            return None
        return user

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        # A service error means nothing of this request may be written.
        db.session.rollback()
        if wants_json():
            return jsonify(error=error.message, field=error.field), error.status_code
        return render_template("errors/error.html", code=error.status_code, message=error.message), (
            error.status_code
        )

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if (error.code or 500) >= 500:
            db.session.rollback()
        if wants_json():
            return jsonify(error=error.description), error.code
        return render_template("errors/error.html", code=error.code, message=error.description), error.code

    @app.errorhandler(Exception)
    def handle_unexpected_error(error: Exception):
        """Roll back whatever the failed request left pending, log it, answer a plain
        500 page (rendering it must not touch the broken transaction)."""
        db.session.rollback()
        if app.testing:
            raise error  # tests want the traceback, not a page
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        message = "Something went wrong on our side. It has been logged."
        if wants_json():
            return jsonify(error=message), 500
        return render_template("errors/error.html", code=500, message=message), 500

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.get("/healthz")
    def healthz():
        try:
            db.session.execute(sa.text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            return "database unreachable", 503, {"Content-Type": "text/plain"}
        return "ok", 200, {"Content-Type": "text/plain"}

    @app.context_processor
    def template_helpers() -> dict:
        return {"nav_items": _nav_items, "panel": _panel, "unread_notifications": _unread_notifications}


def _nav_items() -> list[dict]:
    from flask import current_app

    from app.plugins import plugin_manager

    items: list[dict] = []
    for contributed in plugin_manager(current_app).hook.nav_items(actor=current_user):
        items.extend(contributed or [])
    return sorted(items, key=lambda item: item.get("order", 100))


def _panel(name: str, **context: object) -> Markup:
    """Render a template hook slot; plug-ins return markup they rendered with Jinja."""
    from flask import current_app

    from app.plugins import plugin_manager

    parts = plugin_manager(current_app).hook.template_panel(name=name, context=context)
    return Markup("".join(str(part) for part in parts if part))  # noqa: S704 - hook contract: plug-ins return rendered templates


def _unread_notifications() -> int:
    if not current_user.is_authenticated:
        return 0
    from app.notifications.services import unread_count

    return unread_count(current_user)
