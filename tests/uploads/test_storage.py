"""The storage backends: the instance folder, and S3 against a real S3-compatible
server on loopback (moto's, started in-process), through the same interface."""

from __future__ import annotations

from datetime import datetime, timedelta

import boto3
import pytest

from app.uploads.storage import LocalStorage, S3Storage, build_storage, new_key


def _exercise(backend) -> None:
    key = new_key()
    backend.save(key, b"bytes", "text/plain")
    assert backend.read(key) == b"bytes"
    listed = dict(backend.list())
    assert key in listed
    assert abs(listed[key] - datetime.utcnow()) < timedelta(hours=1)  # naive UTC
    backend.delete(key)
    backend.delete(key)  # already gone: no error
    with pytest.raises(FileNotFoundError):
        backend.read(key)
    assert key not in dict(backend.list())


def test_local_storage_saves_reads_lists_and_deletes(tmp_path):
    _exercise(LocalStorage(tmp_path))


@pytest.mark.parametrize("key", ["../../etc/passwd", "ABC", "", "a" * 31, "g" * 32])
def test_local_storage_refuses_keys_it_did_not_make(tmp_path, key):
    with pytest.raises(ValueError):
        LocalStorage(tmp_path).read(key)


@pytest.fixture
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_s3_storage_against_an_s3_compatible_server(s3_endpoint, s3_credentials):
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket="guildhall")
    _exercise(S3Storage("guildhall", endpoint_url=s3_endpoint, region="us-east-1"))


def test_upload_storage_s3_serves_an_avatar_end_to_end(s3_endpoint, s3_credentials, tmp_path):
    from app import create_app
    from app.extensions import db
    from tests.factories import make_user
    from tests.uploads.conftest import image_bytes

    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket="guildhall-s3")
    app = create_app(
        "testing",
        instance_path=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 's3.sqlite'}",
        UPLOAD_STORAGE="s3",
        S3_BUCKET="guildhall-s3",
        S3_ENDPOINT_URL=s3_endpoint,
        S3_REGION="us-east-1",
    )
    with app.app_context():
        db.create_all()
        from app.uploads import services

        user = make_user()
        upload = services.set_avatar(user, user, "me.png", image_bytes("PNG"))
        db.session.commit()
        assert not (tmp_path / "instance" / "uploads").exists()
        reply = app.test_client().get(f"/uploads/{upload.id}/avatar.webp")
        assert reply.status_code == 200
        assert reply.mimetype == "image/webp"
        db.session.remove()
        db.engine.dispose()


def test_an_unknown_storage_setting_stops_the_start(app):
    app.config["UPLOAD_STORAGE"] = "ftp"
    with pytest.raises(RuntimeError, match="UPLOAD_STORAGE"):
        build_storage(app)
    app.config.update(UPLOAD_STORAGE="s3", S3_BUCKET=None)
    with pytest.raises(RuntimeError, match="S3_BUCKET"):
        build_storage(app)
