"""Notification pages: the list, opening and reading, preferences, the unread count."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.notifications import services
from app.notifications.models import Notification, NotificationPreference
from tests.factories import make_post, make_topic, make_user
from tests.hostile import page_script_vectors_in

HOSTILE_URLS = [
    "https://evil.example/",
    "//evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:evil.example",
    " //evil.example",
    "/\t/evil.example",
]


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    for path in ("/notifications/", "/notifications/preferences"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    # A JSON client is told in JSON rather than redirected to an HTML page.
    response = client.get("/notifications/unread.json")
    assert response.status_code == 401 and response.is_json


def test_list_shows_newest_first_with_unread_in_bold(db, login_as):
    user = make_user()
    old = services.notify(user, "moderation", "older news", "/a")
    old.created_at = utcnow() - timedelta(hours=1)
    old.read_at = utcnow()
    services.notify(user, "moderation", "fresh <b>news</b>", "/b")
    db.session.commit()
    response = login_as(user).get("/notifications/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index("fresh &lt;b&gt;news&lt;/b&gt;") < html.index("older news")
    assert 'class="notification unread notification-moderation"' in html
    assert 'class="notification read notification-moderation"' in html
    assert page_script_vectors_in(html) == []


def test_list_only_shows_the_users_own_notifications(db, login_as):
    user, other = make_user(), make_user()
    services.notify(other, "moderation", "not for you", "/")
    db.session.commit()
    assert b"not for you" not in login_as(user).get("/notifications/").data


def test_list_is_paginated_and_tolerates_bad_pages(db, login_as):
    user = make_user()
    for n in range(services.PER_PAGE + 2):
        services.notify(user, "moderation", f"item {n}", "/")
    db.session.commit()
    client = login_as(user)
    first = client.get("/notifications/").get_data(as_text=True)
    assert "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert "item 0" in second and "item 1<" in second
    for page in ("abc", "-1", "99"):
        assert client.get(f"/notifications/?page={page}").status_code == 200


def test_notification_about_later_hidden_content_disappears_from_list_and_count(db, login_as):
    user = make_user()
    post = make_post(make_topic())
    services.notify(user, "reply", "someone replied", "/p", actor=make_user(), post=post)
    db.session.commit()
    client = login_as(user)
    assert client.get("/notifications/unread.json").get_json() == {"unread": 1}
    post.hidden = True
    db.session.commit()
    assert b"someone replied" not in client.get("/notifications/").data
    assert client.get("/notifications/unread.json").get_json() == {"unread": 0}


def test_open_marks_read_and_redirects_to_the_local_url(db, login_as):
    user = make_user()
    n = services.notify(user, "moderation", "x", "/t/5-hello#post-3")
    db.session.commit()
    response = login_as(user).get(f"/notifications/{n.id}")
    assert response.status_code == 302 and response.headers["Location"] == "/t/5-hello#post-3"
    db.session.expire_all()
    assert db.session.get(Notification, n.id).read_at is not None


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_open_never_redirects_off_site_even_for_a_hostile_stored_url(db, login_as, url):
    user = make_user()
    n = services.notify(user, "moderation", "x", url)
    db.session.commit()
    response = login_as(user).get(f"/notifications/{n.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications/"


def test_open_never_redirects_off_site_for_corpus_urls(db, login_as, hostile):
    from tests.hostile import open_redirect_urls

    user = make_user()
    urls = [u for u in open_redirect_urls() if len(u) <= 300][:200]
    ids = [services.notify(user, "moderation", "x", u).id for u in urls]
    db.session.commit()
    client = login_as(user)
    for ident in ids:
        location = client.get(f"/notifications/{ident}").headers["Location"]
        assert location.startswith("/") and not location.startswith("//") and "\\" not in location


def test_open_of_hidden_content_goes_back_to_the_list(db, login_as):
    user = make_user()
    post = make_post(make_topic(), hidden=True)
    n = Notification(user_id=user.id, kind="reply", message="x", url="/p/1", post_id=post.id)
    db.session.add(n)
    db.session.commit()
    response = login_as(user).get(f"/notifications/{n.id}")
    assert response.headers["Location"] == "/notifications/"


def test_someone_elses_notification_answers_404_and_stays_unread(db, login_as):
    owner, intruder = make_user(), make_user()
    n = services.notify(owner, "moderation", "private", "/")
    db.session.commit()
    client = login_as(intruder)
    assert client.get(f"/notifications/{n.id}").status_code == 404
    assert client.post(f"/notifications/{n.id}/read").status_code == 404
    assert client.get("/notifications/9999").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, n.id).read_at is None


def test_mark_read_by_post_marks_and_redirects(db, login_as):
    user = make_user()
    n = services.notify(user, "moderation", "x", "/somewhere")
    db.session.commit()
    response = login_as(user).post(f"/notifications/{n.id}/read")
    assert response.status_code == 302 and response.headers["Location"] == "/somewhere"
    db.session.expire_all()
    assert db.session.get(Notification, n.id).read_at is not None


def test_mark_read_is_post_only(db, login_as):
    user = make_user()
    n = services.notify(user, "moderation", "x", "/")
    db.session.commit()
    assert login_as(user).get(f"/notifications/{n.id}/read").status_code == 405


def test_mark_all_read(db, login_as):
    user = make_user()
    services.notify(user, "moderation", "a", "/")
    services.notify(user, "moderation", "b", "/")
    db.session.commit()
    client = login_as(user)
    assert client.get("/notifications/unread.json").get_json() == {"unread": 2}
    response = client.post("/notifications/read-all")
    assert response.status_code == 302
    assert client.get("/notifications/unread.json").get_json() == {"unread": 0}
    assert client.get("/notifications/read-all").status_code == 405


def test_header_badge_shows_the_unread_count(db, login_as):
    user = make_user()
    services.notify(user, "moderation", "a", "/")
    db.session.commit()
    html = login_as(user).get("/notifications/").get_data(as_text=True)
    assert 'id="notification-count">1<' in html


def test_preferences_page_shows_current_values(db, login_as):
    user = make_user()
    services.update_preferences(user, notify_likes=False)
    db.session.commit()
    html = login_as(user).get("/notifications/preferences").get_data(as_text=True)
    assert 'id="email_replies" name="email_replies" type="checkbox" value="y"' in html
    assert 'checked id="notify_likes"' not in html
    assert 'checked id="email_replies"' in html


def test_saving_preferences_stores_them(db, login_as):
    user = make_user()
    db.session.commit()
    response = login_as(user).post(
        "/notifications/preferences", data={"email_mentions": "y", "notify_watching": "y"}
    )
    assert response.status_code == 302
    prefs = db.session.scalar(
        sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id)
    )
    assert (prefs.email_replies, prefs.email_mentions, prefs.notify_likes, prefs.notify_watching) == (
        False,
        True,
        False,
        True,
    )


def test_preferences_form_needs_csrf_when_enabled(app, db, login_as):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user()
    db.session.commit()
    response = login_as(user).post("/notifications/preferences", data={"email_mentions": "y"})
    assert response.status_code == 400
    assert db.session.get(NotificationPreference, user.id) is None


def test_unread_json_answers_json(db, login_as):
    user = make_user()
    db.session.commit()
    response = login_as(user).get("/notifications/unread.json")
    assert response.status_code == 200 and response.is_json
    assert response.get_json() == {"unread": 0}
