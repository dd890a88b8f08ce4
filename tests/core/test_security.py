"""Cross-cutting web security: CSRF, request size, cookies, error pages."""

import re

import pytest

from app.extensions import db
from app.forums.models import Post
from tests.factories import PASSWORD, make_topic, make_user


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_state_change_without_csrf_token_is_refused(client, login_as):
    topic = make_topic()
    member = make_user()
    db.session.commit()
    login_as(member)
    before = db.session.query(Post).count()
    response = client.post(f"/t/{topic.id}/reply", data={"body": "no token here"})
    assert response.status_code == 400
    assert b"CSRF" in response.data
    assert db.session.query(Post).count() == before


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_state_change_with_csrf_token_is_accepted(client, login_as):
    topic = make_topic()
    member = make_user()
    db.session.commit()
    login_as(member)
    page = client.get(f"/t/{topic.id}-{topic.slug}")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token, "topic page must carry a CSRF token for the reply form"
    response = client.post(
        f"/t/{topic.id}/reply", data={"body": "with a token", "csrf_token": token.group(1)}
    )
    assert response.status_code in (302, 303)


@pytest.mark.app_config(MAX_CONTENT_LENGTH=1024, MAX_FORM_MEMORY_SIZE=1024)
def test_oversized_request_answers_413(client, login_as):
    topic = make_topic()
    member = make_user()
    db.session.commit()
    login_as(member)
    response = client.post(f"/t/{topic.id}/reply", data={"body": "x" * 5000})
    assert response.status_code == 413
    assert db.session.query(Post).filter_by(topic_id=topic.id).count() == 1


def test_session_cookie_is_httponly_and_samesite(client):
    make_user(email="cookie@example.com")
    db.session.commit()
    response = client.post("/login", data={"email": "cookie@example.com", "password": PASSWORD})
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Page not found" in response.data


def test_json_clients_get_json_errors(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.is_json and "error" in response.get_json()


def test_unexpected_error_rolls_back_and_answers_a_plain_500(app, tmp_path):
    from app.accounts.models import User

    app.testing = False

    @app.get("/boom-after-write")
    def boom():
        db.session.add(User(email="x@example.com", username="x", display_name="X", display_skeleton="x",
                            password_hash="x"))  # fmt: skip
        db.session.flush()
        raise RuntimeError("boom")

    response = app.test_client().get("/boom-after-write")
    assert response.status_code == 500
    assert b"Something went wrong" in response.data
    assert db.session.query(User).filter_by(email="x@example.com").count() == 0
