"""The application factory, configuration and health check."""

import pytest

from app import create_app
from config import INSECURE_SECRET, ProductionConfig


def test_healthz_answers_ok_with_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.data == b"ok"


def test_production_refuses_default_secret(tmp_path):
    class Prod(ProductionConfig):
        SECRET_KEY = INSECURE_SECRET

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Prod, instance_path=str(tmp_path))


def test_production_refuses_short_secret(tmp_path):
    class Prod(ProductionConfig):
        SECRET_KEY = "short"

    with pytest.raises(RuntimeError, match="at least 32"):
        create_app(Prod, instance_path=str(tmp_path))


def test_production_starts_with_real_secret(tmp_path):
    class Prod(ProductionConfig):
        SECRET_KEY = "x" * 48
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.sqlite'}"

    app = create_app(Prod, instance_path=str(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_security_headers_on_every_page(client):
    response = client.get("/healthz")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_sqlite_file_keeps_a_larger_pool_and_is_not_pinged(tmp_path):
    """Every Socket.IO event runs in its own thread: a burst of events held more than
    the default pool's five connections, and each overflow connection was closed on
    return, then opened again (with its PRAGMAs). A ping per checkout is one more
    statement per event, and a local file has no connection to lose."""
    from app.extensions import db

    app = create_app(
        "testing", instance_path=str(tmp_path), SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.sqlite'}"
    )
    with app.app_context():
        pool = db.engine.pool
        assert pool.size() >= 20
        assert pool._pre_ping is False


def test_a_database_server_connection_is_pinged_and_config_options_win(tmp_path):
    from app import _engine_defaults

    assert _engine_defaults("postgresql+psycopg://guildhall@db/guildhall", {}) == {"pool_pre_ping": True}
    assert _engine_defaults("sqlite://", {}) == {"pool_pre_ping": False}
    assert _engine_defaults("sqlite:////srv/g.sqlite", {"pool_size": 3, "pool_pre_ping": True}) == {
        "pool_pre_ping": True,
        "pool_size": 3,
    }
