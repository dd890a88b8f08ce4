"""Upload endpoints: serving files, the editor's attachment upload, avatar and logo pages.

The endpoints that receive files raise the request size limit for themselves only (the
site-wide MAX_CONTENT_LENGTH stays small for text forms). They raise it in a URL value
preprocessor, which Flask runs before every ``before_request`` function: app-wide hooks
(CSRFProtect, the request text check) read the form, and a limit raised in the view
would come too late. A body over that limit is answered 413 by this blueprint's error
handler, in JSON for the editor and as a form error on the picture pages.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from app.accounts import organizations as org_services
from app.core.errors import DomainError, PermissionDenied
from app.core.permissions import can
from app.extensions import db, limiter
from app.uploads import services
from app.uploads.forms import PictureForm, RemovePictureForm

bp = Blueprint("uploads", __name__)

# User content is never a page of this site: no script, no plug-ins, no styles from
# elsewhere, and a sandbox in case a browser renders it anyway.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _actor() -> Any:
    return current_user._get_current_object()


def _upload_key() -> str:
    """Per account, not per browser session; the address for visitors."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return request.remote_addr or "anonymous"


upload_limit = limiter.shared_limit(
    lambda: current_app.config["UPLOAD_RATE_LIMIT"], scope="uploads", key_func=_upload_key, methods=["POST"]
)


_FILE_ENDPOINTS = frozenset({"uploads.upload_attachment", "uploads.avatar", "uploads.logo"})


@bp.url_value_preprocessor
def _allow_file_sized_body(endpoint: str | None, values: dict | None) -> None:
    if endpoint in _FILE_ENDPOINTS:
        request.max_content_length = services.request_limit()


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    if request.endpoint == "uploads.upload_attachment":
        return jsonify(error=_too_large_message(), field="file"), 413
    form = PictureForm(formdata=None)
    form.file.errors = [_too_large_message()]
    kind = "logo" if request.endpoint == "uploads.logo" else "avatar"
    org = org_services.get_organization(request.view_args["slug"]) if kind == "logo" else None
    return _picture_page(kind, form, 413, org=org)


def _too_large_message() -> str:
    return f"The file is too large: at most {services.request_limit() // (1024 * 1024)} MB."


# --- serving ---------------------------------------------------------------------------


def _disposition(response: Response, inline: bool, filename: str) -> None:
    """``inline`` only for raster images; the name in ASCII, plus RFC 5987 UTF-8."""
    simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii") or "file"
    options = {"filename": simple}
    if simple != filename:
        options["filename*"] = "UTF-8''" + quote(filename, safe="!#$&+-.^_`|~")
    response.headers.set("Content-Disposition", "inline" if inline else "attachment", **options)


@bp.get("/uploads/<int:upload_id>/<path:name>")
def serve(upload_id: int, name: str):
    """The file, if the viewer may read it (404 otherwise). ``name`` is cosmetic: the
    id decides, and the response names the file by its stored, sanitised name."""
    readable = services.read_upload(_actor(), upload_id)
    upload = readable.upload
    response = Response(readable.data, mimetype=upload.content_type)
    _disposition(response, upload.is_inline_image, upload.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    if readable.public:
        # An id's bytes never change (a new avatar is a new upload), so caches may keep them.
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        # Who may read it can change (a post moves to a private category): ask each time.
        response.headers["Cache-Control"] = "private, no-cache"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        response.vary.add("Cookie")
    response.set_etag(upload.sha256)
    return response.make_conditional(request)


# --- attachments -----------------------------------------------------------------------


@bp.post("/uploads")
@upload_limit
def upload_attachment():
    """The editor's drop/paste endpoint: store one file, answer the Markdown to insert.
    CSRF: the X-CSRFToken header, checked by CSRFProtect like every other POST."""
    file = request.files.get("file")
    if file is None:
        return jsonify(error="Send the file in a form field named 'file'.", field="file"), 400
    try:
        upload = services.store_attachment(_actor(), file.filename or "", file.read())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return jsonify(error=error.message, field=error.field), error.status_code
    return jsonify(
        id=upload.id,
        url=services.upload_url(upload),
        markdown=services.markdown_for(upload),
        filename=upload.filename,
        content_type=upload.content_type,
        size=upload.size,
    ), 201


# --- avatars and logos -----------------------------------------------------------------


def _picture_page(kind: str, form: PictureForm, status: int = 200, org: Any = None):
    return render_template(
        "uploads/picture.html", kind=kind, form=form, remove_form=RemovePictureForm(formdata=None), org=org
    ), status


def _receive_picture(form: PictureForm, store) -> tuple[bool, int]:
    """Validate ``form`` and hand its file to ``store``; (saved?, status for a re-render)."""
    if not form.validate_on_submit():
        return False, 400
    try:
        file = form.file.data
        store(file.filename or "", file.read())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.status_code in (403, 404):
            raise
        form.file.errors = [*list(form.file.errors or []), error.message]
        return False, 400
    return True, 200


@bp.route("/settings/avatar", methods=["GET", "POST"])
@login_required
@upload_limit
def avatar():
    form = PictureForm()
    if request.method == "POST":
        user = _actor()
        saved, status = _receive_picture(form, lambda name, data: services.set_avatar(user, user, name, data))
        if saved:
            flash("Your picture has been saved.", "success")
            return redirect(url_for("accounts.edit_profile"))
        return _picture_page("avatar", form, status)
    return _picture_page("avatar", form)


@bp.post("/settings/avatar/remove")
@login_required
def remove_avatar():
    if RemovePictureForm().validate_on_submit():
        services.remove_avatar(_actor(), _actor())
        db.session.commit()
        flash("Your picture has been removed: your initials show instead.", "success")
    return redirect(url_for("accounts.edit_profile"))


@bp.route("/o/<slug>/logo", methods=["GET", "POST"])
@login_required
@upload_limit
def logo(slug: str):
    org = org_services.get_organization(slug)
    if not can(_actor(), "org.manage", org):
        raise PermissionDenied("You may not change this organization's logo.")
    form = PictureForm()
    if request.method == "POST":
        saved, status = _receive_picture(
            form, lambda name, data: services.set_logo(_actor(), org, name, data)
        )
        if saved:
            flash("The logo has been saved.", "success")
            return redirect(url_for("accounts.organization", slug=org.slug))
        return _picture_page("logo", form, status, org=org)
    return _picture_page("logo", form, org=org)


@bp.post("/o/<slug>/logo/remove")
@login_required
def remove_logo(slug: str):
    org = org_services.get_organization(slug)
    if RemovePictureForm().validate_on_submit():
        services.remove_logo(_actor(), org)
        db.session.commit()
        flash("The logo has been removed.", "success")
    return redirect(url_for("accounts.organization", slug=org.slug))
