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
