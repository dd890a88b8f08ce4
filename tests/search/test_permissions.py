"""Private content never reaches hits, totals, facets or snippets of outsiders —
checked for every kind of private space, for every kind of reader."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.core.db import utcnow
from app.search import services
from tests.factories import make_category, make_org, make_post, make_topic, make_user

SPACES = {
    "publicword": {"anonymous", "member", "mentor", "councillor", "moderator", "admin"},
    "eventword": {"anonymous", "member", "mentor", "councillor", "moderator", "admin"},
    "membersword": {"member", "mentor", "councillor", "moderator", "admin"},
    "childword": {"member", "mentor", "councillor", "moderator", "admin"},
    "mentorword": {"mentor", "moderator", "admin"},
    "staffword": {"moderator", "admin"},
    "hiddenpostword": {"moderator", "admin"},
    "deletedpostword": {"moderator", "admin"},
    "hiddentopicword": {"moderator", "admin"},
    "deletedtopicword": {"moderator", "admin"},
    "suspendedword": {"moderator", "admin"},
    "unconfirmedword": {"moderator", "admin"},
    "councilword": {"councillor"},
    "orphanword": {"moderator", "admin"},  # a plug-in document without principals
}
PRIVATE_CATEGORY_NAMES = {"Members lounge", "Mentor room", "Staff room", "Lounge child"}
_MEMBERS = {"Open", "Members lounge", "Lounge child"}
CATEGORY_NAMES = {
    "anonymous": {"Open"},
    "member": _MEMBERS,
    "councillor": _MEMBERS,
    "mentor": _MEMBERS | {"Mentor room"},
    "moderator": _MEMBERS | {"Mentor room", "Staff room"},
    "admin": _MEMBERS | {"Mentor room", "Staff room"},
}


@pytest.fixture
def private_world(db):
    author = make_user(username="author", display_name="Author")
    public = make_category(name="Open", slug="open")
    members = make_category(name="Members lounge", slug="members", view_policy="members")
    child = make_category(name="Lounge child", slug="child", parent=members)
    mentors = make_category(name="Mentor room", slug="mentors", view_policy="mentor")
    staff = make_category(name="Staff room", slug="staff", view_policy="moderator,admin")
    topic = make_topic(author=author, category=public, body="needle publicword")
    make_post(topic, author=author, body="needle hiddenpostword", hidden=True)
    make_post(topic, author=author, body="needle deletedpostword", deleted_at=utcnow())
    make_topic(author=author, category=members, body="needle membersword")
    make_topic(author=author, category=child, body="needle childword")
    make_topic(author=author, category=mentors, body="needle mentorword")
    make_topic(author=author, category=staff, body="needle staffword")
    make_topic(author=author, category=public, body="needle hiddentopicword", hidden=True)
    make_topic(author=author, category=public, body="needle deletedtopicword", deleted_at=utcnow())
    make_user(job_title="needle suspendedword", suspended_until=utcnow() + timedelta(days=3))
    make_user(job_title="needle unconfirmedword", confirmed_at=None)
    readers = {
        # Members-only spaces are for partner members: confirmed and in an organization.
        "member": make_user(username="member1", organization=make_org()),
        "mentor": make_user(role="mentor", username="mentor1", organization=make_org()),
        "councillor": make_user(username="councillor", organization=make_org()),
        "moderator": make_user(role="moderator", username="mod1"),
        "admin": make_user(role="admin", username="admin1"),
    }
    db.session.commit()
    return readers


@pytest.mark.app_config(PLUGINS=["tests.search.council_plugin"])
def test_every_private_space_is_invisible_to_outsiders(
    app, db, private_world, reindex, client, login_as, anonymous
):
    reindex()
    readers = {"anonymous": anonymous, **private_world}
    for name, actor in readers.items():
        expected = {word for word, allowed in SPACES.items() if name in allowed}
        result = services.search(actor, "needle", per_page=50)
        found = {word for hit in result.hits for word in SPACES if word in hit.snippet}
        assert found == expected, name
        assert result.total == len(expected), name
        assert sum(f["count"] for f in result.facets["kind"].values()) == len(expected), name
        # The JSON a reader receives holds no trace of the rest: no snippet, no facet label.
        if name != "anonymous":  # anonymous comes first, before any sign-in
            login_as(actor)
        body = client.get("/search.json?q=needle").get_data(as_text=True)
        for word in set(SPACES) - expected:
            assert word not in body, (name, word)
            assert services.search(actor, word).total == 0, (name, word)
        labels = {c["label"] for c in result.facets["category"].values()}
        assert labels <= CATEGORY_NAMES[name], name
        for category_name in PRIVATE_CATEGORY_NAMES - CATEGORY_NAMES[name]:
            assert category_name not in body, (name, category_name)


def test_category_policy_change_applies_to_search_at_once(db, admin, member, anonymous, keys):
    from app.forums import services as forums

    member.organization = make_org()  # a partner member may read members-only spaces
    category = forums.create_category(admin, "Roadmap", "roadmap")
    topic = forums.create_topic(member, category, "Roadmap preview", "needle roadmapword")
    db.session.commit()
    assert keys(anonymous, "roadmapword") == {f"topic:{topic.id}"}
    forums.update_category(admin, category, "Roadmap", "roadmap", view_policy="members")
    db.session.commit()
    assert keys(anonymous, "roadmapword") == set()
    assert keys(member, "roadmapword") == {f"topic:{topic.id}"}


def test_a_reader_who_may_read_nothing_finds_nothing(db, member, anonymous, keys, reindex):
    from tests.factories import make_topic

    private = make_category(name="Only members", slug="only-members", view_policy="members")
    make_topic(author=member, category=private, body="needle lonelyword")
    reindex()
    assert keys(anonymous, "lonelyword") == set()
    assert services.search(anonymous, "lonelyword").facets == {
        "kind": {},
        "category": {},
        "organization": {},
        "tag": {},
    }
