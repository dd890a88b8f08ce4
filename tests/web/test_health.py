"""``/healthz`` is liveness (no I/O); ``/readyz`` reports each configured dependency
as JSON, 200 when all answer and 503 naming what is down."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event

from app import create_app
from app.extensions import db
from tests.live import free_port


def test_healthz_is_ok_and_touches_no_database(app, client):
    attempts: list[int] = []
    db.engine.dispose()
    event.listen(db.engine, "do_connect", lambda *args: attempts.append(1))
    response = client.get("/healthz")
    assert response.status_code == 200 and response.data == b"ok"
    assert attempts == []


def test_readyz_is_200_with_each_dependency_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["down"] == []
    assert body["checks"] == {"database": {"ok": True}, "search": {"ok": True}}
    assert response.headers["Cache-Control"] == "no-store"


def _closed_port_url(db_number: int) -> str:
    return f"redis://127.0.0.1:{free_port()}/{db_number}"


@pytest.mark.app_config(
    RATELIMIT_ENABLED=True,
    RATELIMIT_STORAGE_URI=_closed_port_url(1),
    SOCKETIO_MESSAGE_QUEUE=_closed_port_url(0),
    PAGE_CACHE_REDIS_URL=_closed_port_url(2),
)
def test_readyz_names_each_configured_redis_that_is_down(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["down"] == ["redis.pagecache", "redis.ratelimit", "redis.socketio"]
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis.socketio"]["error"] == "ConnectionError"
    assert "127.0.0.1" not in response.get_data(as_text=True)  # no URLs (they may hold passwords)


def test_readyz_leaves_out_redis_that_is_not_configured(client):
    assert not any(name.startswith("redis") for name in client.get("/readyz").get_json()["checks"])


def test_readyz_names_an_unreachable_database(tmp_path):
    application = create_app(
        "testing",
        instance_path=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing-folder' / 'g.sqlite'}",
    )
    response = application.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["down"] == ["database"]
    with application.app_context():
        db.engine.dispose()


def test_readyz_names_a_search_index_folder_it_cannot_create(tmp_path: Path):
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder")
    application = create_app(
        "testing",
        instance_path=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'g.sqlite'}",
        SEARCH_INDEX_DIR=str(in_the_way / "search"),
    )
    response = application.test_client().get("/readyz")
    assert response.status_code == 503 and response.get_json()["down"] == ["search"]
    with application.app_context():
        db.engine.dispose()
