"""Errors under a JSON path, or for a JSON client, are JSON; pages keep the HTML page.

A script that calls ``/chat/api/…`` or ``/search.json`` parses every answer as JSON: an
HTML error page (a CSRF failure, a 404, a 405, a rate limit) breaks it with a parse
error instead of a message it can show.
"""

from __future__ import annotations

import pytest
from flask import Flask

from app import create_app
from app.extensions import db as _db
from tests.factories import make_user


def _is_json_error(response) -> bool:
    return response.mimetype == "application/json" and isinstance(
        (response.get_json() or {}).get("error"), str
    )


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_a_chat_api_csrf_failure_answers_json_to_the_json_client(client, db, login_as):
    login_as(make_user())
    response = client.post("/chat/api/channels", json={"name": "No token", "kind": "public"})
    assert response.status_code == 400
    assert _is_json_error(response)
    assert "CSRF" in response.get_json()["error"]


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
@pytest.mark.parametrize(
    "path",
    ["/chat/api/channels", "/chat/api/dms", "/chat/api/channels/1/join", "/chat/api/channels/1/read"],
)
def test_csrf_failures_on_chat_api_posts_are_json(client, db, login_as, path):
    login_as(make_user())
    response = client.post(path, data="{}", content_type="application/json")
    assert response.status_code == 400 and _is_json_error(response)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_a_csrf_failure_from_a_form_still_gets_the_html_page(client, db, login_as):
    login_as(make_user())
    response = client.post("/logout", data={})
    assert response.status_code == 400
    assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here",
        "/chat/api/nothing-here",
        "/chat/api/channels/999999/nothing",
        "/no-such-thing.json",
        "/t/999999.json",
    ],
)
def test_not_found_under_json_paths_is_json(client, path):
    response = client.get(path)
    assert response.status_code == 404 and _is_json_error(response)


def test_not_found_for_a_page_is_still_the_html_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_a_client_that_prefers_json_gets_json_errors_anywhere(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json, text/plain, */*"})
    assert response.status_code == 404 and _is_json_error(response)
    browser = client.get("/no-such-page", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.mimetype == "text/html"


def test_a_json_body_gets_json_errors(client):
    response = client.post("/no-such-page", json={"a": 1})
    assert response.status_code == 404 and _is_json_error(response)


@pytest.mark.parametrize(
    "path", ["/chat/api/channels", "/search.json", "/directory.json", "/notifications/unread.json"]
)
def test_method_not_allowed_on_json_endpoints_is_json_and_keeps_allow(client, path):
    response = client.delete(path)
    assert response.status_code == 405 and _is_json_error(response)
    assert "GET" in response.headers["Allow"]


@pytest.mark.app_config(MAX_CONTENT_LENGTH=1024, MAX_FORM_MEMORY_SIZE=1024)
def test_too_large_a_body_on_a_json_endpoint_is_json(client, db, login_as):
    login_as(make_user())
    response = client.post("/chat/api/channels", json={"name": "x" * 4096})
    assert response.status_code == 413 and _is_json_error(response)


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="1 per minute")
def test_a_rate_limit_on_a_json_request_is_json_with_retry_after(client, db):
    client.post("/login", json={"email": "a@example.com", "password": "x"})
    response = client.post("/login", json={"email": "a@example.com", "password": "x"})
    assert response.status_code == 429 and _is_json_error(response)
    assert "Retry-After" in response.headers


@pytest.fixture
def failing_app(tmp_path) -> Flask:
    """A non-testing app (so the 500 handler answers instead of re-raising) with a
    JSON route and a page that fail."""
    application = create_app(
        "testing",
        instance_path=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'boom.sqlite'}",
        TESTING=False,
    )

    def boom():
        raise RuntimeError("a bug")

    application.add_url_rule("/boom.json", "boom_json", boom)
    application.add_url_rule("/chat/api/boom", "boom_api", boom)
    application.add_url_rule("/boom", "boom_page", boom)
    with application.app_context():
        _db.create_all()
    yield application
    with application.app_context():
        _db.engine.dispose()


@pytest.mark.parametrize("path", ["/boom.json", "/chat/api/boom"])
def test_an_unexpected_error_under_a_json_path_is_a_json_500(failing_app, path):
    response = failing_app.test_client().get(path)
    assert response.status_code == 500 and _is_json_error(response)
    assert "a bug" not in response.get_data(as_text=True)


def test_an_unexpected_error_on_a_page_is_the_html_500(failing_app):
    response = failing_app.test_client().get("/boom")
    assert response.status_code == 500 and response.mimetype == "text/html"


@pytest.mark.parametrize("path", ["/notifications/unread.json", "/connections.json", "/chat/api/channels"])
def test_a_visitor_on_a_members_only_json_path_gets_a_json_401(client, path):
    response = client.get(path)
    assert response.status_code == 401 and _is_json_error(response)


def test_a_visitor_on_a_members_only_page_is_still_sent_to_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]
