"""Signing out ends the browser's session on the server: a copy of its session or
remember-me cookie, replayed afterwards, is a visitor's, also through the page cache.
Other browsers stay signed in; "sign out everywhere" ends them all."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.accounts import tokens
from app.accounts.models import UserSession
from app.accounts.sessions import count_sessions, load_session_user, open_session
from app.core.db import utcnow
from tests.core.test_pagecache import get
from tests.factories import PASSWORD, make_topic, make_user

PROFILE_SETTINGS = "/settings/profile"


def signed_in_browser(app, user, remember: bool = False):
    """A browser that signed in through the login form."""
    browser = app.test_client()
    data = {"email": user.email, "password": PASSWORD, **({"remember": "y"} if remember else {})}
    with app.app_context():
        assert browser.post("/login", data=data).status_code == 302
    return browser


def cookie(browser, name: str) -> str:
    found = browser.get_cookie(name)
    assert found is not None, f"the browser holds no {name} cookie"
    return found.value


def replay(app, path: str, **cookies: str):
    """A request from someone else carrying exactly these copied cookies."""
    header = "; ".join(f"{name}={value}" for name, value in cookies.items())
    with app.app_context():
        return app.test_client(use_cookies=False).get(path, headers={"Cookie": header})


def is_signed_in(response) -> bool:
    return response.status_code == 200


@pytest.fixture
def ada(db):
    user = make_user(display_name="Ada Lovelace", email="ada@example.com")
    db.session.commit()
    return user


def test_logout_retires_the_session_cookie_on_the_server(app, ada):
    browser = signed_in_browser(app, ada)
    saved = cookie(browser, "session")
    assert is_signed_in(replay(app, PROFILE_SETTINGS, session=saved))

    with app.app_context():
        assert browser.post("/logout").status_code == 302

    response = replay(app, PROFILE_SETTINGS, session=saved)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    home = replay(app, "/", session=saved)
    assert b"Ada Lovelace" not in home.data and b'href="/login' in home.data


def test_logout_retires_the_remember_cookie_on_the_server(app, ada):
    browser = signed_in_browser(app, ada, remember=True)
    saved = cookie(browser, "remember_token")
    assert is_signed_in(replay(app, PROFILE_SETTINGS, remember_token=saved))

    with app.app_context():
        browser.post("/logout")

    response = replay(app, PROFILE_SETTINGS, remember_token=saved)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_signing_out_keeps_the_members_other_browsers_signed_in(app, ada):
    laptop = signed_in_browser(app, ada, remember=True)
    phone = signed_in_browser(app, ada, remember=True)
    phone_session, phone_remember = cookie(phone, "session"), cookie(phone, "remember_token")

    with app.app_context():
        laptop.post("/logout")

    with app.app_context():
        assert is_signed_in(phone.get(PROFILE_SETTINGS))
    assert is_signed_in(replay(app, PROFILE_SETTINGS, session=phone_session))
    assert is_signed_in(replay(app, PROFILE_SETTINGS, remember_token=phone_remember))


def test_sign_out_everywhere_retires_every_session_and_remember_cookie(app, db, ada):
    laptop = signed_in_browser(app, ada, remember=True)
    phone = signed_in_browser(app, ada, remember=True)
    copies = [
        {"session": cookie(laptop, "session")},
        {"remember_token": cookie(laptop, "remember_token")},
        {"session": cookie(phone, "session")},
        {"remember_token": cookie(phone, "remember_token")},
    ]
    assert all(is_signed_in(replay(app, PROFILE_SETTINGS, **copy)) for copy in copies)

    with app.app_context():
        response = laptop.post("/settings/sign-out-everywhere")
    assert response.status_code == 302 and response.headers["Location"] == "/login"

    for copy in copies:
        assert replay(app, PROFILE_SETTINGS, **copy).status_code == 302, copy
    with app.app_context():
        assert phone.get(PROFILE_SETTINGS).status_code == 302
        assert laptop.get(PROFILE_SETTINGS).status_code == 302
    assert count_sessions(ada) == 0


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_settings_page_offers_sign_out_everywhere_with_its_own_csrf_token(app, ada):
    browser = signed_in_browser_with_csrf(app, ada)
    signed_in_browser_with_csrf(app, ada)
    with app.app_context():
        page = browser.get(PROFILE_SETTINGS).get_data(as_text=True)
    assert "signed in on 2 browsers" in page
    form = page[page.index('action="/settings/sign-out-everywhere"') :]
    form = form[: form.index("</form>")]
    assert "Sign out everywhere" in form
    token = form.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    with app.app_context():
        response = browser.post("/settings/sign-out-everywhere", data={"csrf_token": token})
    assert response.status_code == 302
    assert count_sessions(ada) == 0


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_sign_out_everywhere_without_a_csrf_token_changes_nothing(app, ada):
    browser = signed_in_browser_with_csrf(app, ada)
    with app.app_context():
        assert browser.post("/settings/sign-out-everywhere").status_code == 400
        assert is_signed_in(browser.get(PROFILE_SETTINGS))
    assert count_sessions(ada) == 1


def signed_in_browser_with_csrf(app, user):
    """Sign in through the form when CSRF is on: read the token off the login page."""
    browser = app.test_client()
    with app.app_context():
        page = browser.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
        response = browser.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        )
    assert response.status_code == 302
    return browser


def test_sign_out_everywhere_is_for_signed_in_members(client):
    response = client.post("/settings/sign-out-everywhere")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_retires_the_other_browsers_but_keeps_this_one(app, ada):
    mine = signed_in_browser(app, ada, remember=True)
    other = signed_in_browser(app, ada, remember=True)
    other_copies = [
        {"session": cookie(other, "session")},
        {"remember_token": cookie(other, "remember_token")},
    ]
    new = "a brand new passphrase"
    with app.app_context():
        response = mine.post(
            "/settings/password", data={"current_password": PASSWORD, "password": new, "confirm": new}
        )
    assert response.status_code == 302
    with app.app_context():
        assert is_signed_in(mine.get(PROFILE_SETTINGS))
    assert is_signed_in(replay(app, PROFILE_SETTINGS, remember_token=cookie(mine, "remember_token")))
    for copy in other_copies:
        assert replay(app, PROFILE_SETTINGS, **copy).status_code == 302, copy
    assert count_sessions(ada) == 1


@pytest.mark.app_config(PAGE_CACHE_SECONDS=300)
def test_a_replayed_cookie_after_logout_gets_no_cached_signed_in_page(app, ada):
    """The page cache keys a member's own render by their exact cookie header, and its
    fast path answers before Flask (and the user loader) runs: sign-out must make that
    entry unusable, and the replayed cookie must not earn a new signed-in one."""
    browser = signed_in_browser(app, ada)
    get(browser, "/")  # settles the session (the CSRF token for the sign-out button)
    header = f"session={cookie(browser, 'session')}"
    attacker = app.test_client(use_cookies=False)

    get(attacker, "/", headers={"Cookie": header})
    cached = get(attacker, "/", headers={"Cookie": header})
    assert cached.headers.get("X-Page-Cache") == "hit"
    assert b"Ada Lovelace" in cached.data

    with app.app_context():
        browser.post("/logout")

    for _ in range(3):  # the first replay renders; later ones would be served from the cache
        response = get(attacker, "/", headers={"Cookie": header})
        assert response.status_code == 200
        assert b"Ada Lovelace" not in response.data
        assert b'id="notifications-link"' not in response.data
        assert b'href="/login' in response.data


@pytest.mark.app_config(PAGE_CACHE_SECONDS=300)
def test_a_replayed_remember_cookie_after_logout_gets_no_cached_signed_in_page(app, ada):
    browser = signed_in_browser(app, ada, remember=True)
    saved = cookie(browser, "remember_token")
    before = get(app.test_client(use_cookies=False), "/", headers={"Cookie": f"remember_token={saved}"})
    assert b"Ada Lovelace" in before.data

    with app.app_context():
        browser.post("/logout")

    for _ in range(3):
        response = get(app.test_client(use_cookies=False), "/", headers={"Cookie": f"remember_token={saved}"})
        assert b"Ada Lovelace" not in response.data and b'href="/login' in response.data


def test_session_ids_without_a_live_server_session_are_visitors(app, db, ada):
    live = open_session(ada)
    db.session.commit()
    user_id, token, key = live.split(":")
    assert load_session_user(live) == ada
    refused = [
        f"{user_id}:{token}",  # the form cookies had before sessions were kept on the server
        f"{user_id}:{token}:{'x' * len(key)}",
        f"{user_id}:rotated:{key}",
        f"{int(user_id) + 1}:{token}:{key}",
        f"{user_id}:{token}:{key}:extra",
        f"²:{token}:{key}",
        "",
        "\x00",
        "not an id at all",
    ]
    for session_id in refused:
        assert load_session_user(session_id) is None, session_id


def test_a_session_past_its_lifetime_is_a_visitor_and_is_cleared_at_the_next_sign_in(app, db, ada):
    old = open_session(ada)
    db.session.execute(sa.update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert load_session_user(old) is None

    signed_in_browser(app, ada)
    assert db.session.scalar(sa.select(sa.func.count(UserSession.id))) == 1
    assert count_sessions(ada) == 1


def test_a_session_lasts_as_long_as_the_longer_lived_cookie(app, db, ada):
    open_session(ada)
    db.session.commit()
    row = db.session.scalar(sa.select(UserSession))
    remember = timedelta(seconds=app.config["REMEMBER_COOKIE_DURATION"])
    expected = max(remember, app.permanent_session_lifetime)
    assert row.expires_at - row.created_at == expected


@pytest.mark.app_config(RATELIMIT_ENABLED=True, POST_RATE_LIMIT="2 per minute")
def test_a_members_browsers_share_one_posting_rate_limit(app, db, ada):
    """Limits are per account: signing in on another browser (a new session id) must
    not buy a fresh posting budget."""
    topic = make_topic()
    db.session.commit()
    laptop, phone = signed_in_browser(app, ada), signed_in_browser(app, ada)
    statuses = []
    for browser, body in [(laptop, "one"), (phone, "two"), (phone, "three"), (laptop, "four")]:
        with app.app_context():
            statuses.append(browser.post(f"/t/{topic.id}/reply", data={"body": body}).status_code)
    assert statuses == [302, 302, 429, 429]


def test_a_reset_from_a_browser_signed_in_as_someone_else_ends_that_session_too(app, db, ada):
    """The reset signs the browser out; its session must end on the server as well."""
    grace = make_user(email="grace@example.com")
    db.session.commit()
    shared_computer = signed_in_browser(app, grace)
    saved = cookie(shared_computer, "session")
    raw = tokens.issue_token(ada, tokens.RESET)
    db.session.commit()
    new = "a brand new passphrase"
    with app.app_context():
        response = shared_computer.post(f"/password/reset/{raw}", data={"password": new, "confirm": new})
    assert response.status_code == 302
    assert replay(app, PROFILE_SETTINGS, session=saved).status_code == 302
    assert count_sessions(grace) == 0
