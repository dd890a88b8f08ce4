"""Signing in and out: generic failures, unconfirmed and suspended accounts, session
rotation, remember-me, safe ``next=`` redirects and the login rate limit."""

from datetime import timedelta
from unittest import mock
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher

from app.core.db import utcnow
from tests.factories import PASSWORD, make_user
from tests.hostile import open_redirect_urls


def sign_in(client, user, password=PASSWORD, **extra):
    return client.post("/login", data={"email": user.email, "password": password, **extra})


def signed_in_as(client):
    with client.session_transaction() as session:
        return session.get("_user_id")


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="remember"' in response.data


def test_login_signs_in_and_redirects_home(client, db):
    user = make_user()
    db.session.commit()
    response = sign_in(client, user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert signed_in_as(client) == user.get_id()


def test_login_accepts_email_in_any_case(client, db):
    make_user(email="ada@example.com")
    db.session.commit()
    response = client.post("/login", data={"email": "ADA@Example.com", "password": PASSWORD})
    assert response.status_code == 302


def test_login_records_last_seen(client, db):
    user = make_user()
    db.session.commit()
    assert user.last_seen_at is None
    sign_in(client, user)
    db.session.refresh(user)
    assert user.last_seen_at is not None


def test_wrong_password_and_unknown_email_get_the_same_answer(client, db):
    user = make_user()
    db.session.commit()
    wrong = sign_in(client, user, password="not the password")
    unknown = client.post("/login", data={"email": "ghost@example.com", "password": "whatever it is"})
    assert wrong.status_code == unknown.status_code == 400
    message = b"That email and password do not match an account."
    assert message in wrong.data and message in unknown.data
    assert signed_in_as(client) is None


def test_empty_login_form_is_a_form_error(client):
    assert client.post("/login", data={}).status_code == 400


def test_unconfirmed_user_cannot_sign_in_and_is_offered_a_new_link(client, db):
    user = make_user(confirmed_at=None)
    db.session.commit()
    response = sign_in(client, user)
    assert response.status_code == 400
    assert b"confirm your email address" in response.data
    assert b'href="/confirm"' in response.data
    assert signed_in_as(client) is None


def test_unconfirmed_status_is_not_revealed_without_the_password(client, db):
    user = make_user(confirmed_at=None)
    db.session.commit()
    response = sign_in(client, user, password="wrong password!")
    assert b"confirm your email" not in response.data


def test_suspended_user_sees_reason_and_end_date(client, db):
    until = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    user = make_user(suspended_until=until, suspended_reason="Spamming the forums")
    db.session.commit()
    response = sign_in(client, user)
    assert response.status_code == 400
    assert b"Spamming the forums" in response.data
    assert until.strftime("%d %B %Y").encode() in response.data
    assert signed_in_as(client) is None


def test_expired_suspension_no_longer_blocks(client, db):
    user = make_user(suspended_until=utcnow() - timedelta(days=1), suspended_reason="old")
    db.session.commit()
    assert sign_in(client, user).status_code == 302


def test_login_rotates_the_session(client, db):
    user = make_user()
    db.session.commit()
    with client.session_transaction() as session:
        session["csrf_token"] = "pre-login-token"
        session["planted"] = "attacker value"
    sign_in(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != "pre-login-token"
        assert session["_user_id"] == user.get_id()


def test_remember_me_sets_a_remember_cookie(client, db):
    user = make_user()
    db.session.commit()
    sign_in(client, user, remember="y")
    assert client.get_cookie("remember_token") is not None


def test_without_remember_me_there_is_no_remember_cookie(client, db):
    user = make_user()
    db.session.commit()
    sign_in(client, user)
    assert client.get_cookie("remember_token") is None


def test_remember_cookie_restores_the_session(client, db):
    user = make_user()
    db.session.commit()
    sign_in(client, user, remember="y")
    with client.session_transaction() as session:
        session.clear()
    response = client.get("/settings/profile")
    assert response.status_code == 200


def test_next_local_path_is_honoured(client, db):
    user = make_user()
    db.session.commit()
    response = client.post("/login?next=/settings/profile", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/settings/profile"


def test_open_redirects_through_next_are_refused(app, db):
    user = make_user()
    db.session.commit()
    urls = open_redirect_urls()
    assert urls
    for url in urls:
        client = app.test_client()
        response = client.post(
            "/login", query_string={"next": url}, data={"email": user.email, "password": PASSWORD}
        )
        assert response.status_code == 302, url
        location = response.headers["Location"]
        parts = urlsplit(location)
        assert not parts.scheme and not parts.netloc, (url, location)
        assert location.startswith("/") and not location.startswith("//"), (url, location)
        assert "\\" not in location, (url, location)


def test_logout_ends_the_session(client, db):
    user = make_user()
    db.session.commit()
    sign_in(client, user, remember="y")
    response = client.post("/logout")
    assert response.status_code == 302
    assert signed_in_as(client) is None
    assert client.get("/settings/profile").status_code == 302


def test_logout_is_post_only(client):
    assert client.get("/logout").status_code == 405


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
def test_login_posts_are_rate_limited(client, db):
    for _ in range(3):
        assert (
            client.post("/login", data={"email": "x@example.com", "password": "nope nope"}).status_code == 400
        )
    response = client.post("/login", data={"email": "x@example.com", "password": "nope nope"})
    assert response.status_code == 429
    # Reading the page is not limited.
    assert client.get("/login").status_code == 200


def test_login_is_not_limited_when_rate_limiting_is_off(client, db):
    for _ in range(15):
        assert client.post("/login", data={"email": "x@example.com", "password": "nope"}).status_code == 400


def test_an_unknown_address_costs_one_verification_and_no_new_hash(client, db):
    """Timing must not tell which addresses have accounts: an unknown address does what
    a wrong password does (one Argon2 verification), never a hash per attempt, which
    made unknown addresses take twice as long. Counted, not timed."""
    user = make_user()
    db.session.commit()
    spy = {"autospec": True}
    with (
        mock.patch.object(PasswordHasher, "hash", side_effect=PasswordHasher.hash, **spy) as hashed,
        mock.patch.object(PasswordHasher, "verify", side_effect=PasswordHasher.verify, **spy) as verified,
    ):
        for _ in range(2):
            assert (
                client.post("/login", data={"email": "ghost@example.com", "password": "a guess"}).status_code
                == 400
            )
        unknown_hashes, unknown_verifies = hashed.call_count, verified.call_count
        sign_in(client, user, password="a wrong guess")
    assert unknown_hashes <= 1  # the dummy hash, made once per process at most
    assert unknown_verifies == 2
    assert hashed.call_count == unknown_hashes and verified.call_count == 3
