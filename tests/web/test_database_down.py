"""With the database unreachable, every page answers a styled 503 (JSON under JSON
paths) built without touching the database — also for a signed-in member, whose
error page used to load them again and end in the server's bare 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event

from app import create_app
from app.extensions import db

MESSAGE = "having trouble reaching its database"


@pytest.fixture(params=["testing", "production"])
def unreachable(request, tmp_path: Path) -> Iterator[tuple[Flask, list[int]]]:
    """An app whose SQLite file sits in a folder that does not exist: every connect
    fails with OperationalError. Also as production (no test-mode re-raising of errors).
    Yields the app and a list that grows by one per connection attempt."""
    application = create_app(
        request.param,
        instance_path=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing-folder' / 'guildhall.sqlite'}",
        SECRET_KEY="database-down-test-secret-key-0123456789",
        TESTING=request.param == "testing",
    )
    attempts: list[int] = []
    with application.app_context():
        event.listen(db.engine, "do_connect", lambda *args: attempts.append(1))
    yield application, attempts
    with application.app_context():
        db.engine.dispose()


def _signed_in_client(application: Flask):
    client = application.test_client()
    with client.session_transaction() as session:  # a well-formed cookie claiming member 1
        session["_user_id"] = "1:session-token:" + "browser-key-" * 2
        session["_fresh"] = True
    return client


@pytest.mark.parametrize("path", ["/", "/t/1", "/chat/", "/login", "/settings", "/no-such-page"])
def test_a_signed_in_member_gets_the_styled_503_page(unreachable, path):
    application, attempts = unreachable
    response = _signed_in_client(application).get(path)
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert MESSAGE in html
    assert "/static/css/guildhall.css" in html  # styled, not Werkzeug's bare page
    assert response.headers["Retry-After"]
    assert response.headers["Content-Security-Policy"]
    # One failed connect (loading the member); the error page made no second one.
    assert len(attempts) == 1


@pytest.mark.parametrize("path", ["/", "/categories", "/no-such-page"])
def test_a_visitor_gets_the_styled_503_page(unreachable, path):
    application, attempts = unreachable
    response = application.test_client().get(path)
    assert response.status_code in (503, 404)  # a visitor's 404 page needs no database
    if response.status_code == 503:
        assert MESSAGE in response.get_data(as_text=True)
        assert len(attempts) == 1


def test_posting_while_the_database_is_down_answers_503(unreachable):
    application, _ = unreachable
    response = _signed_in_client(application).post("/t/1/reply", data={"body": "Hello"})
    assert response.status_code == 503
    assert MESSAGE in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/chat/api/channels", "/search.json?q=x", "/notifications/unread.json"])
def test_json_paths_get_a_json_503(unreachable, path):
    application, _ = unreachable
    response = _signed_in_client(application).get(path)
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert MESSAGE in response.get_json()["error"]


def test_healthz_stays_ok_while_the_database_is_down(unreachable):
    application, attempts = unreachable
    response = application.test_client().get("/healthz")
    assert response.status_code == 200 and response.data == b"ok"
    assert attempts == []
