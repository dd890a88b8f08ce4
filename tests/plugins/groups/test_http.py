"""The group pages: the listing with "groups near you", a group's page with its join,
request and leave buttons, the leaders' page with one-click decisions, the admin's
form; bad input is a form error or a message, never a 500 or a half-done write."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.forums import services as forums
from app.plugins.groups import forum_space, services
from app.plugins.groups.models import Group, GroupLeader, GroupMembership
from tests.factories import make_user
from tests.hostile import naughty_strings, page_script_vectors_in, xss_vectors
from tests.plugins.groups.support import ENABLED, make_group, partner

pytestmark = ENABLED


def _page(response) -> str:
    return response.get_data(as_text=True)


def test_the_listing_offers_groups_near_you_and_says_what_to_do_when_empty(
    db, client, login_as, open_group, request_group, someone
):
    page = _page(login_as(someone).get("/groups/"))
    near = page.split('id="near-heading"')[1].split("</section>")[0]
    assert "EMEA MSPs" in near and "North America Resellers" not in near
    assert "You are not in a group yet" in page
    assert "North America Resellers" in page.split('id="others-heading"')[1]
    loner = partner(region="LATAM")
    db.session.commit()
    assert "Add them to your profile" in _page(login_as(loner).get("/groups/"))


def test_the_listing_with_no_groups_at_all(db, client, login_as, someone, admin):
    page = _page(login_as(someone).get("/groups/"))
    assert "No other groups yet." in page and "Create the first one" not in page
    assert "Create the first one" in _page(login_as(admin).get("/groups/"))


def test_the_nav_offers_groups_to_signed_in_members(db, client, login_as, someone):
    assert 'href="/groups/"' in _page(login_as(someone).get("/"))


def test_a_visitor_is_asked_to_sign_in(db, client, open_group):
    response = client.get(f"/groups/{open_group.slug}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_joining_and_leaving_through_the_page(db, client, login_as, open_group, someone, mentor):
    login_as(someone)
    page = _page(client.get(f"/groups/{open_group.slug}"))
    assert "Join the group" in page and "Priya" not in page and "Mira" in page  # the leader is named
    assert client.post(f"/groups/{open_group.slug}/join").status_code == 302
    page = _page(client.get(f"/groups/{open_group.slug}"))
    assert "You are a member" in page and "Sam Partner" in page and "Go to the group" in page
    again = client.post(f"/groups/{open_group.slug}/join", follow_redirects=True)
    assert "already a member" in _page(again)
    client.post(f"/groups/{open_group.slug}/leave")
    assert services.membership_of(someone, open_group).status == "left"


def test_asking_to_join_with_a_note_and_the_leader_approving_in_one_click(
    db, client, login_as, request_group, someone, mentor
):
    login_as(someone)
    assert "Ask to join" in _page(client.get(f"/groups/{request_group.slug}"))
    response = client.post(f"/groups/{request_group.slug}/request", data={"note": "Ohio reseller here"})
    assert response.status_code == 302
    membership = services.membership_of(someone, request_group)
    assert membership.status == "pending"
    assert "a leader will answer" in _page(client.get(f"/groups/{request_group.slug}"))

    login_as(mentor)
    lead = _page(client.get(f"/groups/{request_group.slug}/lead"))
    assert "Sam Partner" in lead and "Ohio reseller here" in lead
    approve = f"/groups/{request_group.slug}/lead/requests/{membership.id}/approve"
    assert client.post(approve).status_code == 302
    db.session.expire_all()
    assert services.is_member(someone, request_group)
    twice = client.post(approve, follow_redirects=True)
    assert twice.status_code == 200 and "already been answered" in _page(twice)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(GroupMembership)
            .where(GroupMembership.user_id == someone.id)
        )
        == 1
    )


def test_declining_and_banning_from_the_leaders_page(db, client, login_as, request_group, someone, mentor):
    membership = services.request_to_join(someone, request_group)
    db.session.commit()
    login_as(mentor)
    client.post(
        f"/groups/{request_group.slug}/lead/requests/{membership.id}/decline", data={"note": "Not yet"}
    )
    db.session.expire_all()
    assert membership.status == "declined" and membership.decision_note == "Not yet"
    client.post(f"/groups/{request_group.slug}/lead/members/{membership.id}/ban", data={"note": "Spam"})
    db.session.expire_all()
    assert membership.status == "banned"
    assert "Lift the ban" in _page(client.get(f"/groups/{request_group.slug}/lead"))
    login_as(someone)
    page = _page(client.get(f"/groups/{request_group.slug}"))
    assert "You cannot join this group" in page and "Ask to join" not in page
    refused = client.post(f"/groups/{request_group.slug}/request", data={"note": "please"})
    assert refused.status_code == 400 and "You cannot join this group" in _page(refused)


def test_a_plain_member_may_not_open_the_leaders_page(db, client, login_as, open_group, someone):
    services.join(someone, open_group)
    db.session.commit()
    login_as(someone)
    assert client.get(f"/groups/{open_group.slug}/lead").status_code == 403
    membership = services.membership_of(someone, open_group)
    assert client.post(f"/groups/{open_group.slug}/lead/members/{membership.id}/remove").status_code == 403
    assert services.is_member(someone, open_group)


def test_a_leader_acting_on_another_groups_member_gets_not_found(
    db, client, login_as, admin, open_group, mentor, someone
):
    other = make_group(admin, "Other group", make_user(role="mentor"))
    membership = services.join(someone, other)
    db.session.commit()
    login_as(mentor)
    response = client.post(f"/groups/{open_group.slug}/lead/members/{membership.id}/remove")
    assert response.status_code == 404
    assert services.is_member(someone, other)


def test_inviting_by_username_and_accepting_from_the_listing(
    db, client, login_as, hidden_group, mentor, someone
):
    login_as(mentor)
    missing = client.post(f"/groups/{hidden_group.slug}/lead/invite", data={"username": "nobody\x00"})
    assert missing.status_code == 400 and "No member has that username" in _page(missing)
    assert (
        client.post(f"/groups/{hidden_group.slug}/lead/invite", data={"username": "sam"}).status_code == 302
    )
    login_as(someone)
    listing = _page(client.get("/groups/"))
    assert "Security Circle" in listing and "invites you" in listing
    [invitation] = services.my_invitations(someone)
    assert client.post(f"/groups/invitations/{invitation.id}/accept").status_code == 302
    assert services.is_member(someone, hidden_group)
    assert (
        client.post(f"/groups/invitations/{invitation.id}/accept").status_code == 302
    )  # answered: a message
    assert client.post("/groups/invitations/99999/accept").status_code == 404


def test_appointing_a_co_organizer_from_the_leaders_page(db, client, login_as, open_group, mentor, someone):
    helper = make_user(role="mentor", username="helper")
    db.session.commit()
    login_as(mentor)
    refused = client.post(
        f"/groups/{open_group.slug}/lead/leaders", data={"username": "sam", "role": "co_organizer"}
    )
    assert refused.status_code == 400 and "mentors or admins" in _page(refused)
    organizer = client.post(
        f"/groups/{open_group.slug}/lead/leaders", data={"username": "helper", "role": "organizer"}
    )
    assert organizer.status_code == 400 and "Admins appoint organizers" in _page(organizer)
    ok = client.post(
        f"/groups/{open_group.slug}/lead/leaders", data={"username": "helper", "role": "co_organizer"}
    )
    assert ok.status_code == 302
    assert services.leader_of(helper, open_group).role == "co_organizer"


def test_an_admin_creates_a_group_with_its_organizer(db, client, login_as, admin, mentor):
    login_as(admin)
    assert client.get("/groups/new").status_code == 200
    response = client.post(
        "/groups/new",
        data={
            "name": "EMEA MSPs",
            "kind": "regional",
            "region": "EMEA",
            "visibility": "members",
            "join_policy": "request",
            "organizer": "mira",
        },
    )
    assert response.status_code == 302
    group = db.session.scalar(sa.select(Group))
    assert response.headers["Location"].endswith(f"/groups/{group.slug}")
    assert services.is_organizer(mentor, group)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "kind": "regional", "region": "EMEA"}, "This field is required"),
        ({"name": "X", "kind": "regional"}, "needs a region or a country"),
        ({"name": "X", "kind": "topic"}, "at least one topic tag"),
        ({"name": "X", "kind": "regional", "region": "EMEA", "visibility": "secret"}, "Not a valid choice"),
        (
            {"name": "X", "kind": "regional", "region": "EMEA", "organizer": "ghost"},
            "No member has that username",
        ),
        ({"name": "X", "kind": "regional", "region": "EMEA", "organizer": "bob"}, "mentors or admins"),
        ({"name": "x" * 500, "kind": "regional", "region": "EMEA"}, "120"),
    ],
)
def test_bad_group_forms_are_errors_and_write_nothing(db, client, login_as, admin, data, message):
    make_user(username="bob")
    db.session.commit()
    login_as(admin)
    form = {"visibility": "public", "join_policy": "open", **data}
    response = client.post("/groups/new", data=form)
    assert response.status_code == 400 and message in _page(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Group)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GroupLeader)) == 0


def test_only_admins_open_the_new_group_form(db, client, login_as, mentor):
    assert login_as(mentor).get("/groups/new").status_code == 404


def test_an_oversized_note_is_a_form_error(db, client, login_as, request_group, someone):
    response = login_as(someone).post(f"/groups/{request_group.slug}/request", data={"note": "x" * 5000})
    assert response.status_code == 400 and "1000" in _page(response)
    assert services.membership_of(someone, request_group) is None


def test_hostile_notes_never_become_markup_on_the_leaders_page(
    db, client, login_as, request_group, mentor, hostile
):
    stored = 0
    for text in xss_vectors(limit=30) + naughty_strings()[:30]:
        asker = partner()
        db.session.commit()
        response = login_as(asker).post(f"/groups/{request_group.slug}/request", data={"note": text})
        assert response.status_code in (302, 400)
        stored += response.status_code == 302
    assert stored > 0
    page = _page(login_as(mentor).get(f"/groups/{request_group.slug}/lead"))
    assert page_script_vectors_in(page) == []


def test_admins_review_leaders_who_stopped_being_eligible(db, client, login_as, admin, mentor, open_group):
    assert "Nothing to review" in _page(login_as(admin).get("/groups/admin/leaders"))
    mentor.role = "member"
    db.session.commit()
    page = _page(client.get("/groups/admin/leaders"))
    assert "EMEA MSPs" in page and "Mira" in page and "leaders are mentors or admins" in page
    assert login_as(mentor).get("/groups/admin/leaders").status_code == 404


def test_the_group_page_lists_recent_discussions_to_those_the_forum_admits(
    db, client, login_as, admin, mentor, open_group, someone
):
    quiet = make_group(admin, "Quiet Group", mentor, visibility="members", join_policy="request")
    forums.create_topic(mentor, forum_space.forum_of(quiet), "Members-only plans", "Hush.")
    forums.create_topic(mentor, forum_space.forum_of(open_group), "Thursday call agenda", "Items.")
    db.session.commit()
    login_as(someone)
    assert "Thursday call agenda" in _page(client.get(f"/groups/{open_group.slug}"))
    page = _page(client.get(f"/groups/{quiet.slug}"))
    assert "Members-only plans" not in page and "Recent discussions" not in page
    login_as(mentor)
    assert "Members-only plans" in _page(client.get(f"/groups/{quiet.slug}"))


def test_an_admin_edits_a_group_and_a_tighter_visibility_applies_at_once(
    db, client, login_as, admin, mentor, open_group, someone
):
    login_as(admin)
    form = _page(client.get(f"/groups/{open_group.slug}/edit"))
    assert 'value="EMEA MSPs"' in form
    response = client.post(
        f"/groups/{open_group.slug}/edit",
        data={
            "name": "EMEA Managed Services",
            "kind": "regional",
            "region": "EMEA",
            "visibility": "hidden",
            "join_policy": "invitation",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert open_group.name == "EMEA Managed Services" and open_group.slug == "emea-msps"
    assert forum_space.forum_of(open_group).name == "EMEA Managed Services"
    assert login_as(someone).get(f"/groups/{open_group.slug}").status_code == 404
    assert login_as(mentor).get(f"/groups/{open_group.slug}/edit").status_code == 404


def test_a_bad_edit_is_a_form_error_and_changes_nothing(
    db, client, login_as, admin, open_group, request_group
):
    login_as(admin)
    response = client.post(
        f"/groups/{open_group.slug}/edit",
        data={
            "name": "North America Resellers",
            "kind": "regional",
            "region": "EMEA",
            "visibility": "public",
            "join_policy": "open",
        },
    )
    assert response.status_code == 400 and "A group with this name exists" in _page(response)
    db.session.expire_all()
    assert open_group.name == "EMEA MSPs"
