"""The anonymous page cache: served again only while nothing relevant was written,
never to or from a signed-in visitor, and byte-identical to a fresh render."""

from __future__ import annotations

import pytest
from flask import flash, render_template_string
from flask_wtf import FlaskForm

from app import create_app
from app.core.pagecache import PageCacheMiddleware, cache_page, page_cache
from app.extensions import db as _db
from app.forums.models import Topic, TopicRead
from tests.factories import make_post, make_topic, make_user

pytestmark = pytest.mark.app_config(PAGE_CACHE_SECONDS=300)

PAGE = """{% extends "base.html" %}{% block content %}
<ul>{% for t in topics %}<li>{{ t.title }} ({{ t.post_count }})</li>{% endfor %}</ul>
{% if with_token %}<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">{% endif %}
{% endblock %}"""


def _topics_page(with_token: bool = False) -> str:
    topics = _db.session.scalars(_db.select(Topic).order_by(Topic.id)).all()
    return render_template_string(PAGE, topics=topics, with_token=with_token)


def get(client, path: str, **kwargs):
    """One request in its own app context, as in production.

    The ``app`` fixture keeps an app context open for the whole test, and requests
    would share its ``g`` (the loaded user, the CSRF token) without this.
    """
    with client.application.app_context():
        return client.get(path, **kwargs)


@pytest.fixture
def pages(app):
    """Register small cached views on the test app (before its first request)."""

    @cache_page
    def topics_view():
        return _topics_page()

    @cache_page
    def token_view():
        return _topics_page(with_token=True)

    @cache_page
    def unused_form_view():
        FlaskForm()  # builds a CSRF token, as a reply form made for every visitor does
        return _topics_page()

    @cache_page
    def flash_view():
        flash("Saved.")
        return _topics_page()

    @cache_page
    def missing_view():
        return "nothing here", 404

    app.add_url_rule("/cached", "cached", topics_view)
    app.add_url_rule("/cached-token", "cached_token", token_view)
    app.add_url_rule("/cached-unused-form", "cached_unused_form", unused_form_view)
    app.add_url_rule("/cached-flash", "cached_flash", flash_view)
    app.add_url_rule("/cached-missing", "cached_missing", missing_view)
    return app


def test_second_anonymous_request_is_served_from_the_cache(pages, client, topic):
    first = get(client, "/cached")
    second = get(client, "/cached")
    assert first.headers["X-Page-Cache"] == "miss"
    assert second.headers["X-Page-Cache"] == "hit"


def test_cached_body_is_byte_identical_to_a_fresh_render(pages, client, topic):
    fresh = get(client, "/cached").data
    cached = get(client, "/cached").data
    page_cache(pages).clear()
    fresh_again = get(client, "/cached").data
    assert cached == fresh == fresh_again


def test_cached_response_keeps_content_type_and_security_headers(pages, client, topic):
    fresh = get(client, "/cached")
    cached = get(client, "/cached")
    assert cached.content_type == fresh.content_type == "text/html; charset=utf-8"
    assert cached.headers["Content-Security-Policy"] == fresh.headers["Content-Security-Policy"]


def test_visitor_without_a_session_is_answered_before_flask_runs(pages, client, topic):
    flask_requests = []
    pages.before_request(lambda: flask_requests.append(1))
    fresh = get(client, "/cached")
    cached = get(client, "/cached")
    assert len(flask_requests) == 1
    assert cached.headers["X-Page-Cache"] == "hit"
    assert cached.data == fresh.data
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Type", "Vary"):
        assert cached.headers[header] == fresh.headers[header]


def test_anonymous_visitor_with_a_session_cookie_gets_the_same_page_through_flask(pages, client, topic):
    flask_requests = []
    pages.before_request(lambda: flask_requests.append(1))
    fresh = get(client, "/cached")
    with client.session_transaction() as session:
        session["csrf_token"] = "from an earlier visit to a form"
    cached = get(client, "/cached")
    assert len(flask_requests) == 2
    assert cached.headers["X-Page-Cache"] == "hit"
    assert cached.data == fresh.data


def test_new_post_invalidates_the_cached_page(pages, client, topic):
    assert b"Cached topic (1)" in get(client, "/cached").data
    make_post(topic=topic)
    _db.session.commit()
    response = get(client, "/cached")
    assert response.headers["X-Page-Cache"] == "miss"
    assert b"Cached topic (2)" in response.data


def test_new_user_invalidates_the_cached_page(pages, client, topic):
    get(client, "/cached")
    make_user()
    _db.session.commit()
    assert get(client, "/cached").headers["X-Page-Cache"] == "miss"


def test_bulk_update_statement_invalidates(pages, client, topic):
    get(client, "/cached")
    _db.session.execute(_db.update(Topic).values(title="Renamed"))
    _db.session.commit()
    response = get(client, "/cached")
    assert b"Renamed (1)" in response.data


def test_rolled_back_write_keeps_the_cache(pages, client, topic):
    get(client, "/cached")
    make_post(topic=topic)
    _db.session.rollback()
    assert get(client, "/cached").headers["X-Page-Cache"] == "hit"


def test_read_state_and_view_counts_do_not_invalidate(pages, client, topic):
    reader = make_user()
    _db.session.commit()
    get(client, "/cached")
    _db.session.add(TopicRead(user_id=reader.id, topic_id=topic.id, last_read_post_number=1))
    topic.view_count += 1
    _db.session.commit()
    assert get(client, "/cached").headers["X-Page-Cache"] == "hit"


def test_signed_in_member_never_gets_the_anonymous_page(pages, client, topic, login_as):
    anonymous = get(client, "/cached")
    get(client, "/cached")
    user = make_user(display_name="Signed In Sam")
    _db.session.commit()
    get(client, "/cached")  # anonymous again: cached under the new generation
    login_as(user)
    signed_in = get(client, "/cached")
    assert signed_in.headers.get("X-Page-Cache") != "hit"
    assert b"Signed In Sam" in signed_in.data
    assert signed_in.data != anonymous.data


def test_signed_in_render_is_never_shared_with_visitors(pages, client, topic, login_as):
    login_as(make_user(display_name="Private Pat"))
    _db.session.commit()
    get(client, "/cached")
    get(client, "/cached")
    login_as(None)
    client.delete_cookie("session")
    visitor = get(client, "/cached")
    assert visitor.headers["X-Page-Cache"] == "miss"
    assert b"Private Pat" not in visitor.data
    assert len(page_cache(pages).anonymous) == 1


def test_remember_cookie_bypasses_the_cache(pages, client, topic):
    get(client, "/cached")
    client.set_cookie("remember_token", "1:whatever")
    assert "X-Page-Cache" not in get(client, "/cached").headers


def test_page_with_a_csrf_token_is_not_stored(pages, client, topic):
    first = get(client, "/cached-token")
    second = get(client, "/cached-token")
    assert "X-Page-Cache" not in first.headers
    assert "X-Page-Cache" not in second.headers
    assert len(page_cache(pages)) == 0


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_page_that_built_but_did_not_print_a_token_is_shared_without_the_cookie(pages, client, topic):
    first = get(client, "/cached-unused-form")
    assert "Set-Cookie" in first.headers  # this visitor's own session, holding the token
    client.delete_cookie("session")
    second = get(client, "/cached-unused-form")
    assert second.headers["X-Page-Cache"] == "hit"
    assert "Set-Cookie" not in second.headers
    assert second.data == first.data


def test_flashed_messages_are_neither_stored_nor_replayed(pages, client, topic):
    get(client, "/cached")
    response = get(client, "/cached-flash")
    assert b"Saved." in response.data
    assert len(page_cache(pages)) == 1  # only /cached


def test_pending_flash_bypasses_a_cached_page(pages, client, topic):
    get(client, "/cached")
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Welcome back.")]
    response = get(client, "/cached")
    assert "X-Page-Cache" not in response.headers
    assert b"Welcome back." in response.data


def test_error_responses_are_not_cached(pages, client):
    get(client, "/cached-missing")
    assert get(client, "/cached-missing").status_code == 404
    assert len(page_cache(pages)) == 0


def test_query_string_is_part_of_the_key(pages, client, topic):
    get(client, "/cached?page=1")
    assert get(client, "/cached?page=2").headers["X-Page-Cache"] == "miss"
    assert get(client, "/cached?page=1").headers["X-Page-Cache"] == "hit"


def test_post_requests_are_never_cached(pages, client, topic):
    pages.add_url_rule("/cached-post", "cached_post", cache_page(lambda: "ok"), methods=["POST"])
    client.post("/cached-post")
    assert len(page_cache(pages)) == 0


def test_generation_is_shared_by_apps_on_one_instance_folder(pages, client, topic, tmp_path):
    """Two apps on one instance folder stand in for two gunicorn worker processes."""
    other = create_app(
        "testing",
        instance_path=pages.instance_path,
        SQLALCHEMY_DATABASE_URI=pages.config["SQLALCHEMY_DATABASE_URI"],
        PAGE_CACHE_SECONDS=300,
    )
    get(client, "/cached")
    with other.app_context():
        make_post(topic=_db.session.get(Topic, topic.id))
        _db.session.commit()
    _db.session.expire_all()
    response = get(client, "/cached")
    assert response.headers["X-Page-Cache"] == "miss"
    assert b"Cached topic (2)" in response.data


def test_zero_seconds_disables_the_cache(tmp_path):
    """TestingConfig sets PAGE_CACHE_SECONDS = 0: the decorator only calls the view."""
    plain = create_app(
        "testing",
        instance_path=str(tmp_path / "plain"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'plain.sqlite'}",
    )
    plain.add_url_rule("/cached", "cached", cache_page(lambda: "fresh"))
    client = plain.test_client()
    get(client, "/cached")
    response = get(client, "/cached")
    assert response.data == b"fresh"
    assert "X-Page-Cache" not in response.headers
    assert len(page_cache(plain)) == 0
    assert not isinstance(plain.wsgi_app, PageCacheMiddleware)


# --- the real forum pages ----------------------------------------------------------


@pytest.fixture
def forum(app):
    """forums.latest and forums.topic with the cache applied (as views.py does)."""
    for endpoint in ("forums.latest", "forums.topic"):
        view = app.view_functions[endpoint]
        if not getattr(view, "page_cache_applied", False):
            app.view_functions[endpoint] = cache_page(view)
    topic = make_topic(title="Real forum topic", body="The **first** post.")
    _db.session.commit()
    return f"/t/{topic.id}-{topic.slug}", topic


def test_latest_page_is_cached_and_identical_for_anonymous_visitors(forum, client):
    fresh = get(client, "/")
    cached = get(client, "/")
    assert fresh.status_code == 200
    assert cached.headers["X-Page-Cache"] == "hit"
    assert cached.data == fresh.data
    assert b"Real forum topic" in cached.data


def test_anonymous_topic_page_holds_no_csrf_token_and_is_cached(forum, client):
    path, _ = forum
    fresh = get(client, path)
    cached = get(client, path)
    assert cached.headers["X-Page-Cache"] == "hit"
    assert cached.data == fresh.data
    assert b"csrf" not in fresh.data


def test_reply_invalidates_the_cached_topic_and_latest_pages(forum, client):
    path, topic = forum
    get(client, path)
    get(client, "/")
    make_post(topic=_db.session.get(Topic, topic.id), body="A brand new reply.")
    _db.session.commit()
    assert b"A brand new reply." in get(client, path).data
    assert get(client, "/").headers["X-Page-Cache"] == "miss"


def test_signed_in_member_gets_their_own_topic_page(forum, client, login_as):
    path, _ = forum
    get(client, path)
    get(client, path)
    member = make_user(display_name="Member Mo")
    _db.session.commit()
    get(client, path)  # cached again under the new generation
    login_as(member)
    response = get(client, path)
    assert response.headers.get("X-Page-Cache") != "hit"
    assert b"Member Mo" in response.data
    assert b'name="csrf-token"' in response.data
