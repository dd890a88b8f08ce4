"""Forum pages and forms over HTTP, including every error path: 4xx, never 500,
nothing written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.forums import services
from app.forums.models import Post, Topic
from tests.factories import make_topic


def counts(db) -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Topic)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Post)),
    )


def first_post(db, topic) -> Post:
    return db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id, Post.number == 1))


def test_public_pages_render_for_visitors(db, client, category):
    topic = make_topic(category=category)
    db.session.commit()
    for url in ["/", "/categories", "/c/general", f"/t/{topic.id}-{topic.slug}"]:
        assert client.get(url).status_code == 200, url


def test_new_and_unread_need_sign_in(db, client):
    assert client.get("/new").status_code == 302
    assert client.get("/unread").status_code == 302


def test_member_creates_a_topic_in_a_category(db, client, sign_in, member, category):
    sign_in(member)
    assert client.get("/c/general/new").status_code == 200
    response = client.post("/c/general/new", data={"title": "Hello there", "body": "First!"})
    assert response.status_code == 302
    topic = db.session.scalar(sa.select(Topic))
    assert response.headers["Location"].endswith(f"/t/{topic.id}-hello-there")
    assert "Hello there" in client.get("/").get_data(as_text=True)


def test_member_creates_a_topic_choosing_the_category(db, client, sign_in, member, category):
    sign_in(member)
    assert client.get("/new-topic").status_code == 200
    response = client.post(
        "/new-topic", data={"category": str(category.id), "title": "Chosen", "body": "text"}
    )
    assert response.status_code == 302
    assert counts(db) == (1, 1)


@pytest.mark.parametrize(
    "data",
    [
        {"title": "", "body": "text"},
        {"title": "ab", "body": "text"},
        {"title": "   ab   ", "body": "text"},
        {"title": "x" * 201, "body": "text"},
        {"title": "Fine title", "body": ""},
        {"title": "Fine title", "body": "   "},
        {"title": "Fine title", "body": "x" * 50_001},
    ],
)
def test_bad_topic_input_is_a_form_error(db, client, sign_in, member, category, data):
    sign_in(member)
    response = client.post("/c/general/new", data=data)
    assert response.status_code == 400
    assert 'class="field-errors"' in response.get_data(as_text=True)
    assert counts(db) == (0, 0)


def test_unknown_category_answers_404(db, client, sign_in, member):
    sign_in(member)
    assert client.get("/c/nowhere/new").status_code == 404
    assert client.post("/c/nowhere/new", data={"title": "Title", "body": "x"}).status_code == 404
    assert client.get("/c/nowhere").status_code == 404


def test_unknown_category_choice_is_a_form_error(db, client, sign_in, member, mentors_only):
    sign_in(member)
    response = client.post("/new-topic", data={"category": "999", "title": "Title", "body": "x"})
    assert response.status_code == 400
    response = client.post(
        "/new-topic", data={"category": str(mentors_only.id), "title": "Title", "body": "x"}
    )
    assert response.status_code == 400
    assert counts(db) == (0, 0)


def test_visitors_are_sent_to_sign_in_before_posting(db, client, category):
    topic = make_topic(category=category)
    db.session.commit()
    assert client.post("/c/general/new", data={"title": "Title", "body": "x"}).status_code == 302
    assert client.post(f"/t/{topic.id}/reply", data={"body": "x"}).status_code == 302
    assert counts(db) == (1, 1)


def test_reply_appears_with_anchor(db, client, sign_in, member):
    topic = make_topic()
    db.session.commit()
    sign_in(member)
    response = client.post(f"/t/{topic.id}/reply", data={"body": "Me too"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#post-2")
    page = client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert 'id="post-2"' in page and "Me too" in page


def test_quote_link_prefills_reply_and_sets_reply_to(db, client, sign_in, member, other):
    topic = make_topic(author=other, body="Original wisdom")
    post = first_post(db, topic)
    db.session.commit()
    sign_in(member)
    page = client.get(f"/t/{topic.id}-{topic.slug}?quote={post.id}").get_data(as_text=True)
    assert "&gt; Original wisdom" in page
    assert f'name="reply_to" type="hidden" value="{post.id}"' in page
    client.post(f"/t/{topic.id}/reply", data={"body": "Indeed", "reply_to": str(post.id)})
    page = client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert "in reply to @bob" in page


@pytest.mark.parametrize("body", ["", "   ", "x" * 50_001])
def test_bad_reply_is_a_form_error(db, client, sign_in, member, body):
    topic = make_topic()
    db.session.commit()
    sign_in(member)
    assert client.post(f"/t/{topic.id}/reply", data={"body": body}).status_code == 400
    assert counts(db) == (1, 1)


def test_reply_to_a_foreign_or_bogus_post_is_a_form_error(db, client, sign_in, member):
    topic, other_topic = make_topic(), make_topic()
    foreign = first_post(db, other_topic)
    db.session.commit()
    sign_in(member)
    for target in [str(foreign.id), "99999", "abc"]:
        response = client.post(f"/t/{topic.id}/reply", data={"body": "hi", "reply_to": target})
        assert response.status_code == 400, target
    assert counts(db) == (2, 2)


def test_reply_to_locked_topic_is_refused_and_form_hidden(db, client, sign_in, member):
    topic = make_topic(locked=True)
    db.session.commit()
    sign_in(member)
    page = client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert "locked" in page and 'class="reply-form"' not in page
    assert client.post(f"/t/{topic.id}/reply", data={"body": "hi"}).status_code == 403
    assert counts(db) == (1, 1)


def test_reply_to_deleted_or_hidden_topic_answers_404(db, client, sign_in, member, other):
    deleted = make_topic(author=other)
    services.delete_post(other, first_post(db, deleted))
    hidden = make_topic(hidden=True)
    db.session.commit()
    sign_in(member)
    for topic in (deleted, hidden):
        assert client.post(f"/t/{topic.id}/reply", data={"body": "hi"}).status_code == 404
        assert client.get(f"/t/{topic.id}-{topic.slug}").status_code == 404
    assert counts(db) == (2, 2)


def test_reply_to_restricted_topic_answers_404(db, client, sign_in, member, mentors_only):
    topic = make_topic(category=mentors_only)
    db.session.commit()
    sign_in(member)
    assert client.post(f"/t/{topic.id}/reply", data={"body": "hi"}).status_code == 404
    assert counts(db) == (1, 1)


def test_unknown_topic_and_post_answer_404(db, client, sign_in, member):
    sign_in(member)
    for url in ["/t/999", "/t/999-x", "/p/999", "/p/999/history", "/p/999/edit", "/t/999/unread"]:
        assert client.get(url).status_code == 404, url
    for url in ["/t/999/reply", "/p/999/like", "/p/999/delete", "/p/999/restore", "/t/999/watch"]:
        assert client.post(url, data={"body": "x"}).status_code == 404, url


def test_staff_see_moderator_bar_only_where_endpoints_exist(app, db, client, sign_in, moderator):
    topic = make_topic()
    db.session.commit()
    sign_in(moderator)
    page = client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert "Moderator tools" in page
    if "moderation.topic_action" in app.view_functions:
        assert f"/mod/topics/{topic.id}/lock" in page


def test_nav_items_offer_new_topic_to_members_only(db, client, sign_in, member):
    assert "/new-topic" not in client.get("/").get_data(as_text=True)
    sign_in(member)
    assert 'href="/new-topic"' in client.get("/").get_data(as_text=True)


@pytest.mark.app_config(RATELIMIT_ENABLED=True, POST_RATE_LIMIT="2 per minute")
def test_posting_is_rate_limited_per_user(db, client, sign_in, member, other):
    topic = make_topic()
    db.session.commit()
    sign_in(member)
    assert client.post(f"/t/{topic.id}/reply", data={"body": "one"}).status_code == 302
    assert client.post(f"/t/{topic.id}/reply", data={"body": "two"}).status_code == 302
    assert client.post(f"/t/{topic.id}/reply", data={"body": "three"}).status_code == 429
    assert client.get(f"/t/{topic.id}-{topic.slug}").status_code == 200
    sign_in(other)
    assert client.post(f"/t/{topic.id}/reply", data={"body": "other user"}).status_code == 302
    assert counts(db) == (1, 4)
