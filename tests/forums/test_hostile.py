"""Hostile input: XSS payloads and naughty strings through titles and bodies."""

from __future__ import annotations

import sqlalchemy as sa

from app.forums import services
from app.forums.models import Post
from tests.hostile import naughty_strings, page_script_vectors_in, script_vectors_in, xss_vectors


def test_xss_vectors_never_survive_in_post_html(db, member, other, category):
    topic = services.create_topic(member, category, "XSS garden", "start")
    for vector in xss_vectors():
        body = vector[:50_000].replace("\x00", "") or "x"
        post = services.create_reply(member, topic, f"{body} @bob")
        assert script_vectors_in(post.body_html) == [], vector
    db.session.rollback()


def test_xss_vectors_as_titles_are_stored_as_text(db, member, category):
    for vector in xss_vectors(limit=300):
        title = " ".join(vector.split())[:200].strip()
        if len(title) < 3:
            continue
        topic = services.create_topic(member, category, title, "body")
        assert topic.title == title
    db.session.rollback()


def test_topic_and_latest_pages_stay_script_free(db, client, member, category, hostile):
    vectors = [v for v in xss_vectors(limit=120) if len(" ".join(v.split())) >= 3]
    topic = services.create_topic(member, category, " ".join(vectors[0].split())[:200], vectors[0])
    for vector in vectors[:60]:
        services.create_reply(member, topic, vector.replace("\x00", "") or "x")
    for vector in vectors[60:]:
        services.create_topic(
            member, category, " ".join(vector.split())[:200], vector.replace("\x00", "") or "x"
        )
    db.session.commit()
    from flask import current_app

    current_app.config["POSTS_PER_PAGE"] = 100
    assert page_script_vectors_in(client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)) == []
    assert page_script_vectors_in(client.get("/").get_data(as_text=True)) == []
    first = db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id, Post.number == 1))
    services.edit_post(member, first, "harmless now")
    db.session.commit()
    history = client.get(f"/p/{first.id}/history").get_data(as_text=True)
    assert page_script_vectors_in(history) == []


def test_naughty_strings_over_http_never_500(db, client, sign_in, member, category, hostile):
    sign_in(member)
    topic = services.create_topic(member, category, "Naughty list", "start")
    db.session.commit()
    for text in naughty_strings():
        response = client.post("/c/general/new", data={"title": text, "body": text})
        assert response.status_code in (302, 400), repr(text)
        response = client.post(f"/t/{topic.id}/reply", data={"body": text})
        assert response.status_code in (302, 400), repr(text)
    assert client.get("/").status_code == 200
    assert client.get(f"/t/{topic.id}-{topic.slug}").status_code == 200
