"""Storing, reading, linking and removing uploads. Views, the CLI and the demo call
these with plain values and an explicit actor; they commit at the boundary.

Bytes are written to storage *before* the row is flushed, so a transaction that rolls
back leaves a file with no row (``flask uploads cleanup`` removes it), never a row with
no file. Deleting works the other way round: the row goes in the transaction and the
file only once it commits.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app

from app.accounts.models import Organization, User
from app.core.db import after_commit, utcnow
from app.core.errors import Invalid, NotFound, PermissionDenied
from app.core.permissions import can, require
from app.core.sanitize import UPLOADS_PATH
from app.extensions import db
from app.plugins import fire
from app.uploads import images
from app.uploads.models import SCOPE_OWNER, SCOPE_POST, SCOPE_PUBLIC, Upload
from app.uploads.sniffing import ATTACHMENT_TYPES, IMAGE_TYPES, require_type, safe_filename
from app.uploads.storage import new_key, storage

_REFERENCE = re.compile(r"""(?:src|href)=["']/uploads/(\d{1,18})/""")


def max_bytes(purpose: str) -> int:
    """The size limit for ``purpose`` (config: UPLOAD_MAX_BYTES, …_AVATAR_…, …_LOGO_…)."""
    config = current_app.config
    if purpose == "avatar":
        return int(config["UPLOAD_AVATAR_MAX_BYTES"])
    if purpose == "logo":
        return int(config["UPLOAD_LOGO_MAX_BYTES"])
    return int(config["UPLOAD_MAX_BYTES"])


def request_limit() -> int:
    """The largest request body an upload endpoint accepts (the largest limit, plus
    room for the form's other fields)."""
    return max(max_bytes(p) for p in ("avatar", "logo", "attachment")) + 64 * 1024


def _check_size(data: bytes, purpose: str) -> None:
    if not data:
        raise Invalid("The file is empty.", field="file")
    limit = max_bytes(purpose)
    if len(data) > limit:
        raise Invalid(f"The file is too large: at most {limit / (1024 * 1024):.1f} MB.", field="file")


def _store(actor: Any, purpose: str, filename: str, content_type: str, data: bytes, scope: str) -> Upload:
    key = new_key()
    storage().save(key, data, content_type)
    upload = Upload(
        owner_id=actor.id,
        purpose=purpose,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        filename=safe_filename(filename, content_type),
        storage_key=key,
        scope=scope,
        created_at=utcnow(),
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def _forget(upload: Upload) -> None:
    """Delete the row now and the bytes once the deletion commits."""
    key = upload.storage_key
    backend = storage()
    db.session.delete(upload)
    after_commit(db.session, lambda: backend.delete(key))


def _image(data: bytes, filename: str, purpose: str) -> tuple[Any, str]:
    _check_size(data, purpose)
    content_type = require_type(data, filename, IMAGE_TYPES)
    return images.open_image(data, content_type, int(current_app.config["UPLOAD_MAX_PIXELS"])), content_type


# --- attachments -----------------------------------------------------------------------


def store_attachment(actor: Any, filename: str, data: bytes) -> Upload:
    """Keep a file for a post being written. It is readable by its owner only until a
    saved post links it (:func:`link_post_uploads`)."""
    if not can(actor, "upload.create"):
        raise PermissionDenied("Sign in with an active account to upload files.")
    _check_size(data, "attachment")
    content_type = require_type(data, filename, ATTACHMENT_TYPES)
    if content_type in IMAGE_TYPES:
        image = images.open_image(data, content_type, int(current_app.config["UPLOAD_MAX_PIXELS"]))
        data = images.attachment_bytes(image, content_type, data, int(current_app.config["UPLOAD_MAX_SIDE"]))
    return _store(actor, "attachment", filename, content_type, data, SCOPE_OWNER)


def upload_url(upload: Upload) -> str:
    """The path posts link to. Built by hand, not with ``url_for``: it goes into stored
    Markdown, which the sanitizer accepts only under /uploads/, and services may run
    with no request (the CLI, the demo seeder)."""
    return f"{UPLOADS_PATH}{upload.id}/{quote(upload.filename)}"


def markdown_for(upload: Upload) -> str:
    """What the editor inserts: an image for images, a link for anything else."""
    label = re.sub(r"([\\`*_\[\]<>])", r"\\\1", upload.filename.rsplit(".", 1)[0])
    prefix = "!" if upload.is_inline_image else ""
    return f"{prefix}[{label}]({upload_url(upload)})"


def link_post_uploads(post: Any, actor: Any) -> list[Upload]:
    """Attach the unattached uploads a saved post refers to, so their privacy follows
    the post's. Only the post's author's (or the editing actor's) own uploads are
    claimed: quoting someone else's private link attaches nothing."""
    ids = {int(match) for match in _REFERENCE.findall(post.body_html or "")}
    if not ids:
        return []
    owners = {post.author_id, getattr(actor, "id", None)} - {None}
    uploads = list(
        db.session.scalars(
            sa.select(Upload).where(
                Upload.id.in_(ids),
                Upload.purpose == "attachment",
                Upload.post_id.is_(None),
                Upload.owner_id.in_(owners),
            )
        )
    )
    for upload in uploads:
        upload.post_id = post.id
        upload.scope = SCOPE_POST
    return uploads


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Readable:
    upload: Upload
    data: bytes
    public: bool  # readable by anyone, now and always (avatars, logos)


def read_upload(actor: Any, upload_id: int) -> Readable:
    """The upload and its bytes, if ``actor`` may read it; ``NotFound`` otherwise (a
    private attachment does not admit that it exists)."""
    upload = db.session.get(Upload, upload_id)
    if upload is None or not can(actor, "upload.view", upload):
        raise NotFound("There is no such file.")
    try:
        data = storage().read(upload.storage_key)
    except FileNotFoundError:
        current_app.logger.warning("upload %s: no bytes under key %s", upload.id, upload.storage_key)
        raise NotFound("There is no such file.")
    return Readable(upload, data, upload.scope == SCOPE_PUBLIC)


# --- avatars and logos -----------------------------------------------------------------


def set_avatar(actor: Any, user: User, filename: str, data: bytes) -> Upload:
    """Replace ``user``'s avatar with a square, metadata-free WebP made from ``data``."""
    require(actor, "user.edit", user)
    image, _ = _image(data, filename, "avatar")
    encoded = images.avatar_bytes(image, int(current_app.config["UPLOAD_AVATAR_SIZE"]))
    upload = _store(actor, "avatar", "avatar", "image/webp", encoded, SCOPE_PUBLIC)
    _replace(user, "avatar_upload_id", upload.id)
    fire("profile_updated", user=user, actor=actor)
    return upload


def remove_avatar(actor: Any, user: User) -> None:
    require(actor, "user.edit", user)
    _replace(user, "avatar_upload_id", None)
    fire("profile_updated", user=user, actor=actor)


def set_logo(actor: Any, org: Organization, filename: str, data: bytes) -> Upload:
    """Replace ``org``'s logo with a WebP bounded by UPLOAD_LOGO_BOX, transparency kept."""
    require(actor, "org.manage", org)
    image, _ = _image(data, filename, "logo")
    width, height = current_app.config["UPLOAD_LOGO_BOX"]
    encoded = images.logo_bytes(image, (int(width), int(height)))
    upload = _store(actor, "logo", "logo", "image/webp", encoded, SCOPE_PUBLIC)
    _replace(org, "logo_upload_id", upload.id)
    fire("organization_updated", organization=org, actor=actor)
    return upload


def remove_logo(actor: Any, org: Organization) -> None:
    require(actor, "org.manage", org)
    _replace(org, "logo_upload_id", None)
    fire("organization_updated", organization=org, actor=actor)


def _replace(owner: Any, attribute: str, upload_id: int | None) -> None:
    previous = getattr(owner, attribute)
    setattr(owner, attribute, upload_id)
    db.session.flush()
    if previous is not None and previous != upload_id:
        old = db.session.get(Upload, previous)
        if old is not None:
            _forget(old)


# --- cleanup ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CleanupReport:
    rows: int
    files: int


def cleanup_orphans(older_than: timedelta, now: datetime | None = None) -> CleanupReport:
    """Remove what nothing uses any more, if older than ``older_than``:

    * attachments in no post (uploaded for a post never sent, or whose post was purged);
    * avatars and logos no member or organization shows (a replacement that failed);
    * stored files with no row (a transaction rolled back after the bytes were written).

    The age keeps a post being written from losing its files, and a file being stored
    right now (bytes written, row not yet committed) from being taken for an orphan.
    """
    cutoff = (now or utcnow()) - older_than
    in_use = sa.union(
        sa.select(User.avatar_upload_id).where(User.avatar_upload_id.is_not(None)),
        sa.select(Organization.logo_upload_id).where(Organization.logo_upload_id.is_not(None)),
    ).subquery()
    orphans = list(
        db.session.scalars(
            sa.select(Upload).where(
                Upload.created_at < cutoff,
                sa.or_(
                    sa.and_(Upload.purpose == "attachment", Upload.post_id.is_(None)),
                    sa.and_(Upload.purpose != "attachment", Upload.id.not_in(sa.select(in_use.c[0]))),
                ),
            )
        )
    )
    for upload in orphans:
        _forget(upload)  # their bytes go when the caller commits

    backend = storage()
    known = set(db.session.scalars(sa.select(Upload.storage_key)))
    stray = [key for key, modified in backend.list() if key not in known and modified < cutoff]
    for key in stray:
        backend.delete(key)
    return CleanupReport(rows=len(orphans), files=len(stray))
