# ruff: noqa: S310 - loopback URLs built by the test itself
"""Security headers on every response — Socket.IO's polling answers included, which
python-engineio gives before Flask runs — HSTS in production only, and no version
banner from the development server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from app import create_app
from app.serve import RequestHandler
from config import ProductionConfig
from tests.live import app_spec, free_port, healthy, wait_for

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))
HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


def _has_security_headers(response) -> bool:
    return all(response.headers.get(name) for name in HEADERS)


@pytest.mark.parametrize(
    "path", ["/", "/healthz", "/readyz", "/no-such-page", "/static/css/guildhall.css", "/search.json?q=x"]
)
def test_security_headers_on_pages_errors_files_and_json(client, path):
    assert _has_security_headers(client.get(path))


def test_socketio_polling_responses_carry_the_security_headers(client):
    """The engine.io handshake and a refused poll are answered by python-engineio's
    WSGI middleware: Flask's after_request hooks never see them."""
    handshake = client.get("/socket.io/?EIO=4&transport=polling")
    assert handshake.status_code == 200 and handshake.get_data(as_text=True).startswith("0{")
    assert _has_security_headers(handshake)
    refused = client.get("/socket.io/?EIO=4&transport=polling&sid=not-a-session")
    assert refused.status_code == 400
    assert _has_security_headers(refused)


def test_development_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


class _Production(ProductionConfig):
    SECRET_KEY = "production-test-secret-key-0123456789abcdef"


def _production_app(tmp_path: Path, **overrides):
    return create_app(
        _Production,
        instance_path=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'prod.sqlite'}",
        **overrides,
    )


def test_production_sends_hsts_for_a_year_with_subdomains(tmp_path):
    client = _production_app(tmp_path).test_client()
    for path in ("/healthz", "/socket.io/?EIO=4&transport=polling"):
        assert client.get(path).headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_hsts_max_age_and_subdomains_are_configurable(tmp_path):
    client = _production_app(tmp_path, HSTS_MAX_AGE=600, HSTS_INCLUDE_SUBDOMAINS=False).test_client()
    assert client.get("/healthz").headers["Strict-Transport-Security"] == "max-age=600"


def test_the_request_handler_names_no_versions():
    banner = RequestHandler.version_string(object.__new__(RequestHandler))
    assert banner == "Guildhall"


def test_run_server_sends_no_werkzeug_or_python_version_banner(tmp_path):
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'banner.sqlite'}",
        "SECRET_KEY": "banner-test-secret-key-0123456789abcdef",
    }
    env = dict(os.environ, GUILDHALL_INSTANCE=str(tmp_path / "instance"))
    env.pop("FLASK_APP", None)
    port = free_port()
    server = subprocess.Popen(
        [FLASK, "--app", app_spec(config), "run-server", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: healthy(base), timeout=90), "run-server did not start"
        for path in ("/healthz", "/socket.io/?EIO=4&transport=polling"):
            with urllib.request.urlopen(base + path, timeout=10) as response:
                assert response.headers["Server"] == "Guildhall"
                assert response.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def test_gunicorn_names_no_version_in_its_server_header(tmp_path):
    """The production server: gunicorn's ``Server`` header is its bare name."""
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    if gunicorn is None:
        pytest.skip("gunicorn is not installed in this environment")
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'gunicorn.sqlite'}",
        "SECRET_KEY": "gunicorn-test-secret-key-0123456789abcdef",
    }
    env = dict(os.environ, GUILDHALL_INSTANCE=str(tmp_path / "instance"))
    port = free_port()
    server = subprocess.Popen(
        [gunicorn, "-w", "1", "--threads", "4", "--bind", f"127.0.0.1:{port}", app_spec(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: healthy(base), timeout=90), "gunicorn did not start"
        with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
            assert response.headers["Server"] == "gunicorn"
            assert response.headers["X-Frame-Options"] == "DENY"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
