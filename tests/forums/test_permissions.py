"""Restricted categories are invisible (404, never listed) to those outside the policy."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.forums import services
from app.forums.models import Post
from tests.factories import make_topic, make_user


@pytest.fixture
def secret(db, mentors_only):
    author = make_user(role="mentor")
    topic = make_topic(author=author, category=mentors_only, title="Secret roadmap", slug="secret-roadmap")
    post = db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id))
    services.edit_post(author, post, "Edited secret body")
    db.session.commit()
    return topic, post


def urls(topic, post) -> list[str]:
    return [
        "/c/mentor-lounge",
        f"/t/{topic.id}-{topic.slug}",
        f"/t/{topic.id}",
        f"/t/{topic.id}/unread",
        f"/p/{post.id}",
        f"/p/{post.id}/history",
    ]


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_outsiders_get_404_everywhere_and_lists_omit_it(db, client, sign_in, secret, member, who):
    topic, post = secret
    if who == "member":
        sign_in(member)
    for url in urls(topic, post):
        assert client.get(url).status_code == 404, url
    for url in ["/", "/categories"]:
        page = client.get(url).get_data(as_text=True)
        assert "Secret roadmap" not in page and "Mentor lounge" not in page
    assert topic not in services.latest_topics(member).items


@pytest.mark.parametrize("who", ["mentor", "moderator", "admin"])
def test_listed_role_and_staff_see_everything(db, client, sign_in, secret, mentor, moderator, admin, who):
    topic, post = secret
    sign_in({"mentor": mentor, "moderator": moderator, "admin": admin}[who])
    for url in urls(topic, post):
        assert client.get(url).status_code in (200, 301, 302), url
    assert "Secret roadmap" in client.get("/").get_data(as_text=True)
    assert "Mentor lounge" in client.get("/categories").get_data(as_text=True)


def test_outsider_actions_on_restricted_posts_answer_404(db, client, sign_in, secret, member):
    topic, post = secret
    sign_in(member)
    for url in [f"/p/{post.id}/like", f"/p/{post.id}/delete", f"/t/{topic.id}/watch", f"/t/{topic.id}/reply"]:
        assert client.post(url, data={"body": "x"}).status_code == 404, url
    assert client.post("/c/mentor-lounge/watch").status_code == 404


def test_hidden_post_is_visible_to_staff_and_author_only(db, client, sign_in, member, other, moderator):
    topic = make_topic(author=other)
    reply = services.create_reply(member, topic, "rude words")
    reply.hidden = True
    db.session.commit()
    url = f"/t/{topic.id}-{topic.slug}"
    assert "rude words" not in client.get(url).get_data(as_text=True)
    assert client.get(f"/p/{reply.id}").status_code == 404
    sign_in(member)
    assert "rude words" in client.get(url).get_data(as_text=True)
    sign_in(moderator)
    assert "rude words" in client.get(url).get_data(as_text=True)


def test_category_view_policy_members_asks_visitors_to_sign_in(db, client, admin):
    # Issue 20: a members-only space asks a visitor to sign in instead of "Not found".
    services.create_category(admin, "Members area", "members-area", view_policy="members")
    db.session.commit()
    response = client.get("/c/members-area")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
