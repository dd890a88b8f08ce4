"""Password reset by email and password change: single-use links, same answer for
unknown addresses, and every other session ending when the password changes."""

from datetime import timedelta

import sqlalchemy as sa

from app.accounts import services, tokens
from app.accounts.models import AuthToken
from app.accounts.passwords import verify_password
from app.core.db import utcnow
from tests.accounts.conftest import links_sent_to
from tests.factories import PASSWORD, make_user

NEW = "a brand new passphrase"


def test_forgot_password_page_renders(client):
    assert client.get("/password/forgot").status_code == 200


def test_forgot_password_answers_the_same_for_known_and_unknown_addresses(client, db, app):
    make_user(email="ada@example.com")
    db.session.commit()
    known = client.post("/password/forgot", data={"email": "ada@example.com"})
    unknown = client.post("/password/forgot", data={"email": "ghost@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert len(links_sent_to(app, "ada@example.com")) == 1
    assert links_sent_to(app, "ghost@example.com") == []


def test_forgot_password_without_email_is_a_form_error(client):
    assert client.post("/password/forgot", data={"email": ""}).status_code == 400


def test_reset_link_lets_the_user_choose_a_new_password(client, db, last_token):
    user = make_user(email="ada@example.com")
    db.session.commit()
    client.post("/password/forgot", data={"email": "ada@example.com"})
    token = last_token("ada@example.com", "/password/reset/")
    assert client.get(f"/password/reset/{token}").status_code == 200
    response = client.post(f"/password/reset/{token}", data={"password": NEW, "confirm": NEW})
    assert response.status_code == 302
    db.session.refresh(user)
    assert verify_password(user.password_hash, NEW)


def test_reset_link_works_only_once(client, db, last_token):
    make_user(email="ada@example.com")
    db.session.commit()
    client.post("/password/forgot", data={"email": "ada@example.com"})
    token = last_token("ada@example.com", "/password/reset/")
    client.post(f"/password/reset/{token}", data={"password": NEW, "confirm": NEW})
    again = client.post(
        f"/password/reset/{token}", data={"password": "another one here", "confirm": "another one here"}
    )
    assert again.status_code == 400
    assert b"already been used" in again.data


def test_expired_reset_link_is_refused(client, db, last_token):
    user = make_user(email="ada@example.com")
    db.session.commit()
    client.post("/password/forgot", data={"email": "ada@example.com"})
    token = last_token("ada@example.com", "/password/reset/")
    db.session.execute(sa.update(AuthToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = client.post(f"/password/reset/{token}", data={"password": NEW, "confirm": NEW})
    assert response.status_code == 400
    assert b"expired" in response.data
    db.session.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)


def test_reset_with_short_password_is_a_form_error_and_keeps_the_link(client, db, last_token):
    make_user(email="ada@example.com")
    db.session.commit()
    client.post("/password/forgot", data={"email": "ada@example.com"})
    token = last_token("ada@example.com", "/password/reset/")
    assert (
        client.post(f"/password/reset/{token}", data={"password": "short", "confirm": "short"}).status_code
        == 400
    )
    assert client.post(f"/password/reset/{token}", data={"password": NEW, "confirm": NEW}).status_code == 302


def test_reset_ends_every_existing_session(app, db, last_token):
    user = make_user(email="ada@example.com")
    db.session.commit()
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert other.get("/settings/profile").status_code == 200
    services.request_password_reset("ada@example.com")
    db.session.commit()
    services.reset_password(last_token("ada@example.com", "/password/reset/"), NEW)
    db.session.commit()
    assert other.get("/settings/profile").status_code == 302


def test_a_newer_reset_link_retires_the_older_one(app, db, last_token):
    make_user(email="ada@example.com")
    db.session.commit()
    services.request_password_reset("ada@example.com")
    db.session.commit()
    first = last_token("ada@example.com", "/password/reset/")
    services.request_password_reset("ada@example.com")
    db.session.commit()
    client = app.test_client()
    assert client.get(f"/password/reset/{first}").status_code == 400


def test_change_password_requires_sign_in(client):
    response = client.get("/settings/password")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_change_password_keeps_this_session_and_ends_others(app, db):
    user = make_user()
    db.session.commit()
    mine, other = app.test_client(), app.test_client()
    for c in (mine, other):
        c.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    response = mine.post(
        "/settings/password", data={"current_password": PASSWORD, "password": NEW, "confirm": NEW}
    )
    assert response.status_code == 302
    assert mine.get("/settings/profile").status_code == 200
    assert other.get("/settings/profile").status_code == 302
    # The other browser's remember-me cookie no longer works either.
    with other.session_transaction() as session:
        session.clear()
    assert other.get("/settings/profile").status_code == 302


def test_change_password_with_wrong_current_password_changes_nothing(client, db, login_as):
    user = make_user()
    db.session.commit()
    login_as(user)
    token_before = user.session_token
    response = client.post(
        "/settings/password", data={"current_password": "not my password", "password": NEW, "confirm": NEW}
    )
    assert response.status_code == 400
    assert b"current password is not correct" in response.data
    db.session.refresh(user)
    assert user.session_token == token_before
    assert verify_password(user.password_hash, PASSWORD)


def test_change_password_mismatch_is_a_form_error(client, db, login_as):
    login_as(make_user())
    db.session.commit()
    response = client.post(
        "/settings/password", data={"current_password": PASSWORD, "password": NEW, "confirm": NEW + "x"}
    )
    assert response.status_code == 400


def test_tokens_are_purpose_bound(app, db):
    user = make_user()
    raw = tokens.issue_token(user, tokens.CONFIRM)
    db.session.commit()
    import pytest

    from app.core.errors import Invalid

    with pytest.raises(Invalid):
        tokens.consume_token(raw, tokens.RESET)
    assert tokens.consume_token(raw, tokens.CONFIRM) == user
