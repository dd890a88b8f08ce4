"""The council's private forum category (issue 22): made with the council, linked from
its page, readable by current members who accepted the charter, and by nobody else
(visitor, site member, another council's member, a former member whose term ended, a
removed member, an admin outside the council) on any path: the category and topic
pages (404 as for missing ones), the latest list, search (page and JSON).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.core.permissions import can
from app.demo import seed_base
from app.extensions import db as _db
from app.forums import services as forums
from app.forums.models import Category, Post, Topic
from app.forums.spaces import sync_forum_spaces
from app.plugins import plugin_manager
from app.plugins.councils import demo, forum_space, services
from app.plugins.councils.models import Council
from app.search import rebuild
from tests.factories import make_org, make_user

SECRET = "Narwhalsecret"
PERSONAS = ("visitor", "site member", "other council", "former", "lapsed", "removed", "admin")


def _seat(council, chair, user):
    services.grant_seat(chair, council, user)
    services.accept_charter(user, council, council.charter_version)
    return user


def _forum(council) -> Category:
    category = forum_space.forum_of(council)
    assert category is not None
    return category


@pytest.fixture
def world(db, app, admin, council, chair):
    council.seats = 10
    member = _seat(council, chair, make_user(organization=make_org()))
    former, lapsed, removed = (_seat(council, chair, make_user(organization=make_org())) for _ in range(3))
    other = services.create_council(admin, "Global Council", "Charter")
    elsewhere = make_user(organization=make_org())
    services.grant_seat(admin, other, elsewhere)
    services.accept_charter(elsewhere, other, other.charter_version)
    db.session.commit()
    forum = _forum(council)
    early = forums.create_topic(former, forum, "Before we left", "Early words")
    db.session.commit()
    services.membership_of(former, council).term_end = services.today()
    services.membership_of(lapsed, council).term_end = services.today()
    services.end_membership(chair, services.membership_of(removed, council))
    db.session.commit()
    services.expire_terms()
    services.membership_of(lapsed, council).status = "active"  # as if the job had not run yet
    db.session.commit()
    topic = forums.create_topic(member, forum, f"{SECRET} agenda", f"Our {SECRET} position")
    forums.create_reply(chair, early, f"Reply {SECRET}")
    db.session.commit()
    people = {
        "visitor": None,
        "site member": make_user(organization=make_org()),
        "other council": elsewhere,
        "former": former,
        "lapsed": lapsed,
        "removed": removed,
        "admin": admin,
    }
    db.session.commit()
    return {"council": council, "forum": forum, "topic": topic, "member": member, "people": people}


def _text(response) -> str:
    text = re.sub(
        r'<p class="flash[^"]*" role="status">.*?</p>', "", response.get_data(as_text=True), flags=re.S
    )
    return re.sub(r"\s+", " ", text)


def test_creating_a_council_creates_its_category_once(app, db, admin, council):
    forum = _forum(council)
    assert (forum.space_type, forum.space_id, forum.name) == ("council", council.id, council.name)
    sync_forum_spaces()
    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count()).where(Category.space_type == "council"))
    assert count == 1


def test_members_read_and_post_and_the_council_page_links_the_forum(app, client, sign_in, world):
    member, forum = world["member"], world["forum"]
    sign_in(member)
    page = client.get(f"/councils/{world['council'].id}").get_data(as_text=True)
    assert f'href="/c/{forum.slug}"' in page
    assert SECRET in client.get(f"/c/{forum.slug}").get_data(as_text=True)
    topic = world["topic"]
    assert SECRET in client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert SECRET in client.get("/").get_data(as_text=True)


def test_a_new_charter_closes_the_forum_until_accepted(app, db, world, chair):
    member, forum = world["member"], world["forum"]
    services.publish_charter(chair, world["council"], "# Charter v2")
    db.session.commit()
    assert not can(member, "category.view", forum)
    services.accept_charter(member, world["council"], world["council"].charter_version)
    db.session.commit()
    assert can(member, "category.view", forum)


def test_an_admin_outside_the_council_gets_no_forum_link(app, client, sign_in, world, admin):
    sign_in(admin)
    page = client.get(f"/councils/{world['council'].id}").get_data(as_text=True)
    assert f"/c/{world['forum'].slug}" not in page


@pytest.mark.parametrize("persona", PERSONAS)
def test_outsiders_find_the_forum_nowhere(app, client, sign_in, world, persona):
    rebuild.reindex(app)
    person = world["people"][persona]
    sign_in(person)
    forum, topic = world["forum"], world["topic"]
    for real, missing in (
        (f"/c/{forum.slug}", "/c/no-such-category"),
        (f"/t/{topic.id}-{topic.slug}", f"/t/{topic.id + 1000}-{topic.slug}"),
    ):
        got, expected = client.get(real), client.get(missing)
        assert got.status_code == expected.status_code and got.status_code in (302, 404), (persona, real)
        if got.status_code == 404:
            assert _text(got).replace(real, "") == _text(expected).replace(missing, ""), (persona, real)
    for url in ("/", "/categories", "/new-topic", "/search.json?q=" + SECRET, "/search?q=" + SECRET):
        answer = client.get(url)
        assert answer.status_code in (200, 302, 401), (persona, url)
        text = answer.get_data(as_text=True)
        assert 'class="search-hit' not in text and f"{SECRET} agenda" not in text, (persona, url)
        assert f"Our {SECRET}" not in text and f"Reply {SECRET}" not in text, (persona, url)
        if url.startswith("/search.json") and answer.status_code == 200:
            assert answer.get_json()["total"] == 0, persona
    # The forums' JSON endpoints: a draft for the category, a like on its post.
    opening = _db.session.scalar(sa.select(Post.id).where(Post.topic_id == topic.id, Post.number == 1))
    for method, url in (("GET", f"/drafts?category={forum.id}"), ("POST", f"/p/{opening}/like")):
        answer = client.open(url, method=method, headers={"Accept": "application/json"})
        refused = (302, 401, 403, 404) if person is None else (404,)  # 403: drafts need an account
        assert answer.status_code in refused, (persona, url, answer.status_code)
        assert SECRET not in answer.get_data(as_text=True), (persona, url)
    if person is not None:
        assert not can(person, "topic.view", topic), persona
        assert [c for c in forums.visible_categories(person) if c.id == forum.id] == [], persona


def test_demo_councils_have_topics_in_their_forums_once(app, db):
    seed_base()
    db.session.flush()
    for _ in range(2):
        plugin_manager(app).hook.seed_demo_data()  # twice: the second run adds nothing
        db.session.commit()
    for spec in demo.COUNCILS:
        council = db.session.scalar(sa.select(Council).where(Council.name == spec["name"]))
        forum = _forum(council)
        titles = list(_db.session.scalars(sa.select(Topic.title).where(Topic.category_id == forum.id)))
        assert titles and len(titles) == len(set(titles)) == len(demo.FORUM_TOPICS[spec["name"]])
        chair = db.session.scalar(sa.select(demo.User).where(demo.User.username == spec["seated"][0][0]))
        assert can(chair, "category.view", forum)
