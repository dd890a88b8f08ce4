"""Uploads: avatars, organization logos and attachments in posts.

Every file goes through one path: its type is sniffed from its bytes (never the name
or the client's Content-Type), images are decoded and re-encoded by Pillow, the bytes
go to a :mod:`storage <app.uploads.storage>` backend (the instance folder, or an
S3-compatible bucket) and a row in ``upload`` says who owns it and who may read it.
"""

from __future__ import annotations

from flask import Flask

from app.uploads import cli, identity
from app.uploads.storage import EXTENSION_KEY, build_storage
from app.uploads.views import bp


def init_app(app: Flask) -> None:
    """Wire the feature: blueprint, template globals, CLI, and the storage backend
    (built now, so a wrong UPLOAD_STORAGE setting stops the start, not a request)."""

    app.register_blueprint(bp)
    identity.init_app(app)
    cli.register(app)
    app.extensions[EXTENSION_KEY] = build_storage(app)
