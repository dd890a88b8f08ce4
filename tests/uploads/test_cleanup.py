"""``flask uploads cleanup``: orphans go, anything in use (or too young) stays."""

from __future__ import annotations

from datetime import timedelta

from app.core.db import utcnow
from app.extensions import db
from app.forums import posting
from app.uploads import services
from app.uploads.models import Upload
from app.uploads.storage import new_key, storage
from tests.factories import make_category
from tests.uploads.conftest import image_bytes


def _age(upload: Upload, hours: int) -> None:
    upload.created_at = utcnow() - timedelta(hours=hours)


def test_cleanup_removes_old_orphans_and_stray_files_and_keeps_everything_in_use(runner, member, app):
    unsent = services.store_attachment(member, "draft.png", image_bytes("PNG"))
    fresh = services.store_attachment(member, "typing.png", image_bytes("PNG"))
    used = services.store_attachment(member, "used.png", image_bytes("PNG"))
    posting.create_topic(member, make_category(), "Uses one", f"![u]({services.upload_url(used)})")
    avatar = services.set_avatar(member, member, "me.png", image_bytes("PNG"))
    for upload in (unsent, used, avatar):
        _age(upload, 48)
    _age(fresh, 1)
    db.session.commit()
    unsent_id, unsent_key = unsent.id, unsent.storage_key
    backend = storage()
    stray = new_key()
    backend.save(stray, b"left by a rolled-back request", "text/plain")
    young_stray = new_key()
    backend.save(young_stray, b"being stored right now", "text/plain")
    # The stray file is old; the young one was written a moment ago.
    import os

    path = backend.root / stray[:2] / stray
    old = (utcnow() - timedelta(hours=48)).timestamp()
    os.utime(path, (old, old))

    result = runner.invoke(args=["uploads", "cleanup", "--hours", "24"])

    assert result.exit_code == 0, result.output
    assert "Removed 1 unused upload(s) and 1 stray file(s)." in result.output
    db.session.expire_all()
    assert db.session.get(Upload, unsent_id) is None
    assert {u.id for u in db.session.query(Upload)} == {fresh.id, used.id, avatar.id}
    keys = {key for key, _ in backend.list()}
    assert unsent_key not in keys and stray not in keys
    assert young_stray in keys and used.storage_key in keys and avatar.storage_key in keys


def test_cleanup_removes_an_old_avatar_nobody_shows(runner, member):
    avatar = services.set_avatar(member, member, "me.png", image_bytes("PNG"))
    member.avatar_upload_id = None  # as if a replacement had failed half way
    _age(avatar, 48)
    db.session.commit()
    result = runner.invoke(args=["uploads", "cleanup"])
    assert result.exit_code == 0, result.output
    assert db.session.query(Upload).count() == 0


def test_cleanup_refuses_a_negative_age(runner):
    result = runner.invoke(args=["uploads", "cleanup", "--hours", "-1"])
    assert result.exit_code != 0
    assert "-1" in result.output
