"""The page cache across hosts: generations kept in Redis, so a write on one host
invalidates the pages every other host has cached — anonymous and signed-in."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.accounts.models import User
from app.core.pagecache import RedisGenerations, page_cache
from app.extensions import db
from app.forums.models import Topic
from tests.factories import browser_session_id, make_post, make_topic, make_user

pytestmark = pytest.mark.services


def _host(tmp_path: Path, name: str, database: str, redis_url: str, prefix: str) -> Flask:
    """One app per "host": its own instance folder (so no shared generation files)."""
    return create_app(
        "testing",
        instance_path=str(tmp_path / name),
        SQLALCHEMY_DATABASE_URI=database,
        PAGE_CACHE_SECONDS=300,
        PAGE_CACHE_REDIS_URL=redis_url,
        PAGE_CACHE_REDIS_PREFIX=prefix,
    )


@pytest.fixture
def hosts(tmp_path, redis_url, redis_client):
    prefix = f"guildhall-test-{uuid.uuid4().hex}"
    database = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    first = _host(tmp_path, "a", database, redis_url, prefix)
    second = _host(tmp_path, "b", database, redis_url, prefix)
    with first.app_context():
        db.create_all()
        topic = make_topic(title="Shared topic")
        member = make_user(display_name="Roaming Rae")
        db.session.commit()
        ids = (topic.id, f"/t/{topic.id}-{topic.slug}", browser_session_id(member), member.id)
    yield first, second, ids
    for key in redis_client.scan_iter(f"{prefix}:*"):
        redis_client.delete(key)


def _get(application: Flask, client, path: str):
    with application.app_context():
        return client.get(path)


def test_a_reply_on_one_host_invalidates_the_other_hosts_anonymous_page(hosts):
    first, second, (topic_id, path, _, _) = hosts
    reader = first.test_client()
    _get(first, reader, path)
    assert _get(first, reader, path).headers["X-Page-Cache"] == "hit"
    with second.app_context():
        make_post(topic=db.session.get(Topic, topic_id), body="Posted on host B.")
        db.session.commit()
    response = _get(first, reader, path)
    assert response.headers["X-Page-Cache"] == "miss"
    assert b"Posted on host B." in response.data


def test_a_members_notification_on_one_host_invalidates_their_page_on_the_other(hosts):
    from app.notifications.models import Notification

    first, second, (_, _, session_id, user_id) = hosts
    browser = first.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    _get(first, browser, "/")  # settles the session
    _get(first, browser, "/")
    assert _get(first, browser, "/").headers["X-Page-Cache"] == "hit"
    with second.app_context():
        db.session.add(Notification(user_id=user_id, kind="mention", message="Hello", url="/"))
        db.session.commit()
    response = _get(first, browser, "/")
    assert response.headers["X-Page-Cache"] == "miss"
    assert b'id="notification-count">1<' in response.data


def test_unreachable_redis_means_no_cache_not_an_error(tmp_path):
    application = create_app(
        "testing",
        instance_path=str(tmp_path / "down"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'down.sqlite'}",
        PAGE_CACHE_SECONDS=300,
        PAGE_CACHE_REDIS_URL="redis://127.0.0.1:1/0",
    )
    with application.app_context():
        db.create_all()
    assert isinstance(page_cache(application).store, RedisGenerations)
    client = application.test_client()
    for _ in range(2):
        response = _get(application, client, "/")
        assert response.status_code == 200
        assert "X-Page-Cache" not in response.headers
    with application.app_context():
        make_user()
        db.session.commit()  # the bump fails, is logged, and the write stands
        assert db.session.query(User).count() == 1
