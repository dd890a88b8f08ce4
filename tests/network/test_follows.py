"""Following members and the /following feed: only what the reader may see."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.accounts.models import Anonymous
from app.core.db import utcnow
from app.core.errors import Invalid, PermissionDenied
from app.extensions import db
from app.forums.models import Post
from app.network import activity, follows
from app.network.models import Follow
from app.qa.models import QAAcceptedAnswer, QACategory
from tests.factories import make_category, make_post, make_topic
from tests.network.conftest import count


def test_follow_and_unfollow(alice, bob):
    follows.follow(alice, bob)
    db.session.commit()
    assert follows.is_following(alice, bob) and not follows.is_following(bob, alice)
    assert (follows.follower_count(bob), follows.following_count(alice)) == (1, 1)
    assert follows.followed_members(alice) == [bob]
    assert follows.unfollow(alice, bob) is True
    db.session.commit()
    assert count(Follow) == 0


def test_following_twice_and_unfollowing_twice_are_harmless(alice, bob):
    follows.follow(alice, bob)
    follows.follow(alice, bob)
    db.session.commit()
    assert count(Follow) == 1
    follows.unfollow(alice, bob)
    assert follows.unfollow(alice, bob) is False


def test_follow_refusals(alice, suspended, unconfirmed):
    with pytest.raises(Invalid, match="yourself"):
        follows.follow(alice, alice)
    with pytest.raises(Invalid):
        follows.follow(alice, suspended)
    with pytest.raises(Invalid):
        follows.follow(alice, unconfirmed)
    for actor in (Anonymous(), suspended, unconfirmed):
        with pytest.raises(PermissionDenied):
            follows.follow(actor, alice)
    assert count(Follow) == 0


def test_follow_buttons_and_counts_on_the_profile(client, sign_in, alice, bob, carol):
    sign_in(alice)
    assert client.post("/u/bob/follow").headers["Location"] == "/u/bob"
    sign_in(carol)
    client.post("/u/bob/follow")
    page = client.get("/u/bob").get_data(as_text=True)
    assert "2 followers · 0 following" in page
    assert 'action="/u/bob/unfollow"' in page
    client.post("/u/bob/unfollow")
    page = client.get("/u/bob").get_data(as_text=True)
    assert "1 follower · 0 following" in page and 'action="/u/bob/follow"' in page


def test_member_followed_event_fires_once(app, alice, bob):
    from app.plugins import hookimpl, plugin_manager

    seen = []

    class Listener:
        @hookimpl
        def member_followed(self, user, actor):
            seen.append((user.id, actor.id))

    plugin_manager(app).register(Listener())
    follows.follow(alice, bob)
    follows.follow(alice, bob)
    assert seen == [(bob.id, alice.id)]


# --- the feed --------------------------------------------------------------------------


@pytest.fixture
def places(db):
    public = make_category(name="General", slug="general")
    staff_only = make_category(name="Staff room", slug="staff-room", view_policy="moderator")
    qa = make_category(name="Questions", slug="questions")
    db.session.add(QACategory(category_id=qa.id))
    db.session.commit()
    return {"public": public, "staff": staff_only, "qa": qa}


def test_feed_shows_followed_members_activity_newest_first(alice, bob, carol, places):
    follows.follow(alice, bob)
    topic = make_topic(author=bob, category=places["public"], title="SD-WAN rollout notes")
    opening = db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id, Post.number == 1))
    make_post(topic, author=carol, body="carol's reply")  # carol is not followed
    reply = make_post(topic, author=bob, body="More **details** here.")
    question = make_topic(author=carol, category=places["qa"], title="How to size a firewall?")
    answer = make_post(question, author=bob, body="Use the sizing tool.")
    db.session.add(QAAcceptedAnswer(post_id=answer.id, topic_id=question.id, accepted_by_id=carol.id))
    db.session.commit()
    feed = activity.followed_activity(alice)
    assert [(item.kind, item.post.id) for item in feed.items] == [
        ("answer", answer.id),
        ("reply", reply.id),
        ("topic", opening.id),
    ]
    assert feed.items[0].accepted and not feed.items[1].accepted
    assert feed.items[1].excerpt == "More details here."
    assert all(item.post.author_id == bob.id for item in feed.items)


def test_feed_never_shows_restricted_hidden_or_deleted_posts(alice, bob, moderator, places):
    follows.follow(alice, bob)
    follows.follow(moderator, bob)
    visible = make_topic(author=bob, category=places["public"], title="Public topic")
    make_topic(author=bob, category=places["staff"], title="Staff secret")
    make_post(visible, author=bob, body="Hidden words", hidden=True, hidden_reason="spam")
    make_post(visible, author=bob, body="Deleted words", deleted_at=utcnow())
    make_topic(author=bob, category=places["public"], title="Hidden topic", hidden=True)
    db.session.commit()
    titles = [item.topic.title for item in activity.followed_activity(alice).items]
    assert titles == ["Public topic"]
    staff_titles = {item.topic.title for item in activity.followed_activity(moderator).items}
    assert "Staff secret" in staff_titles


def test_feed_page_over_http(client, sign_in, alice, bob, places):
    follows.follow(alice, bob)
    make_topic(author=bob, category=places["public"], title="<script>alert(1)</script> tips")
    make_topic(author=bob, category=places["staff"], title="Staff secret")
    db.session.commit()
    sign_in(alice)
    page = client.get("/following").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; tips" in page
    assert "Staff secret" not in page
    assert 'action="/u/bob/unfollow"' in page


def test_feed_pages(client, sign_in, alice, bob, places):
    follows.follow(alice, bob)
    for n in range(activity.FEED_PER_PAGE + 2):
        make_topic(author=bob, category=places["public"], title=f"Topic number {n}")
    db.session.commit()
    assert activity.followed_activity(alice, page=1).has_next
    second = activity.followed_activity(alice, page=2)
    assert len(second.items) == 2 and not second.has_next and second.has_prev
    sign_in(alice)
    page = client.get("/following?page=2").get_data(as_text=True)
    assert "Topic number 0" in page and 'rel="prev"' in page


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "1e3", "99999", "%00", "2.5", "²"])
def test_bad_feed_page_reads_as_the_first_page(client, sign_in, alice, bad):
    sign_in(alice)
    response = client.get(f"/following?page={bad}")
    assert response.status_code == 200
    assert 'rel="prev"' not in response.get_data(as_text=True)


def test_empty_feed_explains_itself(client, sign_in, alice):
    sign_in(alice)
    assert "You do not follow anyone yet." in client.get("/following").get_data(as_text=True)
