"""A hidden group never reaches anyone it does not admit: as a visitor, a site member,
a banned member and a former member, its pages, its leaders' page, its forum category
and its chat room answer exactly as for a group that does not exist. A members-only
group is known to all, but who is in it only to its members."""

from __future__ import annotations

import pytest

from app.chat import channels
from app.forums import services as forums
from app.plugins.groups import forum_space, services
from app.search import rebuild
from tests.plugins.groups.support import ENABLED, make_group, partner

pytestmark = ENABLED
SECRET = "Quokkasecret"
PERSONAS = ("site member", "banned", "former", "invitee who declined")


@pytest.fixture
def world(db, mentor, hidden_group):
    """The hidden group with a member, and one of each kind of outsider."""
    people = {name: partner(display_name=name.title()) for name in ("member", *PERSONAS)}
    for name in ("member", "banned", "former"):
        invitation = services.invite(mentor, hidden_group, people[name])
        services.answer_invitation(people[name], invitation, True)
    services.ban(mentor, hidden_group, services.membership_of(people["banned"], hidden_group))
    services.leave(people["former"], hidden_group)
    declined = services.invite(mentor, hidden_group, people["invitee who declined"])
    services.answer_invitation(people["invitee who declined"], declined, False)
    forum = forum_space.forum_of(hidden_group)
    topic = forums.create_topic(people["member"], forum, f"{SECRET} plans", f"Only for us: {SECRET}")
    db.session.commit()
    return {"people": people, "forum": forum, "topic": topic}


def _paths(group, forum, topic) -> list[str]:
    return [
        f"/groups/{group.slug}",
        f"/groups/{group.slug}/lead",
        f"/c/{forum.slug}",
        f"/t/{topic.id}-{topic.slug}",
    ]


def _answers(client, paths: list[str]) -> list[tuple[int, str]]:
    out = []
    for path in paths:
        response = client.get(path)
        out.append((response.status_code, response.headers.get("Location", "")))
    return out


def test_a_member_reaches_everything(db, client, login_as, hidden_group, world):
    login_as(world["people"]["member"])
    paths = _paths(hidden_group, world["forum"], world["topic"])
    assert client.get(paths[0]).status_code == 200
    assert client.get(paths[1]).status_code == 403  # not a leader, but may know the group
    assert client.get(paths[2]).status_code == 200 and SECRET in client.get(paths[3]).get_data(as_text=True)
    assert SECRET in client.get("/").get_data(as_text=True)  # the latest list, as control
    assert "Security Circle" in client.get("/groups/").get_data(as_text=True)


@pytest.mark.parametrize("persona", PERSONAS)
def test_an_outsider_gets_exactly_what_a_missing_group_gives(
    db, client, login_as, hidden_group, world, persona
):
    login_as(world["people"][persona])
    real = _answers(client, _paths(hidden_group, world["forum"], world["topic"]))
    assert [status for status, _ in real] == [404, 404, 404, 404]
    missing = _answers(client, ["/groups/no-such-group", "/groups/no-such-group/lead"])
    assert real[:2] == missing
    for page in ("/groups/", "/", "/categories"):
        response = client.get(page)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, page
        assert "Security Circle" not in body and SECRET not in body, page


@pytest.mark.parametrize("persona", PERSONAS)
def test_an_outsider_cannot_act_on_a_hidden_group(db, client, login_as, hidden_group, world, persona):
    login_as(world["people"][persona])
    for path in ("join", "request", "leave"):
        assert client.post(f"/groups/{hidden_group.slug}/{path}").status_code == 404
    assert client.post(f"/groups/{hidden_group.slug}/lead/invite", data={"username": "x"}).status_code == 404


def test_a_visitor_gets_what_a_missing_group_gives(db, client, hidden_group, world):
    real = _answers(client, [f"/groups/{hidden_group.slug}"])
    missing = _answers(client, ["/groups/no-such-group"])
    assert real[0][0] == missing[0][0] == 302
    assert real[0][1].split("?")[0] == missing[0][1].split("?")[0]
    assert client.get(f"/c/{world['forum'].slug}").status_code in (302, 404)


def test_the_chat_room_holds_the_active_members_only(db, hidden_group, mentor, world):
    people = world["people"]
    [room] = channels.sync_plugin_channels(people["member"])
    db.session.commit()
    assert channels.member_ids(room.id) == sorted([mentor.id, people["member"].id])
    for persona in PERSONAS:
        assert channels.sync_plugin_channels(people[persona]) == []


def test_leaving_takes_the_room_away_at_once(db, hidden_group, mentor, world):
    member = world["people"]["member"]
    [room] = channels.sync_plugin_channels(member)
    db.session.commit()
    services.leave(member, hidden_group)
    db.session.commit()
    assert member.id not in channels.member_ids(room.id)


def test_a_members_only_group_shows_its_members_to_members_only(db, client, login_as, admin, mentor):
    group = make_group(admin, "Quiet Group", mentor, visibility="members", join_policy="request")
    outsider = partner()
    db.session.commit()
    page = login_as(outsider).get(f"/groups/{group.slug}").get_data(as_text=True)
    assert "Quiet Group" in page and "Only the group's members see who is in it" in page
    assert "Ask to join" in page
    assert client.get(f"/c/{forum_space.forum_of(group).slug}").status_code == 404
    assert "Only the group's members" not in login_as(mentor).get(f"/groups/{group.slug}").get_data(
        as_text=True
    )


def test_a_public_groups_forum_admits_partner_members_but_not_its_banned(
    db, client, login_as, open_group, mentor, someone
):
    forum = forum_space.forum_of(open_group)
    reader = partner()
    db.session.commit()
    assert login_as(reader).get(f"/c/{forum.slug}").status_code == 200
    services.join(someone, open_group)
    services.ban(mentor, open_group, services.membership_of(someone, open_group))
    db.session.commit()
    assert login_as(someone).get(f"/c/{forum.slug}").status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_search_finds_a_hidden_groups_discussion_for_members_only(app, db, client, login_as, world, persona):
    rebuild.reindex(app)
    login_as(world["people"]["member"])
    assert client.get("/search.json?q=" + SECRET).get_json()["total"] >= 1  # control
    login_as(world["people"][persona])
    for url in ("/search.json?q=" + SECRET, "/search?q=" + SECRET):
        answer = client.get(url)
        text = answer.get_data(as_text=True)
        assert answer.status_code == 200, url
        assert 'class="search-hit' not in text and f"{SECRET} plans" not in text, url
        assert f"Only for us: {SECRET}" not in text, url
        if url.startswith("/search.json"):
            assert answer.get_json()["total"] == 0
