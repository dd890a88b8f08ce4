"""The group services: who creates and leads groups, and how people join, ask, are
invited, leave, are removed and banned; every refusal a clear error, nothing doubled."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.forums import services as forums
from app.notifications.models import Notification
from app.plugins.groups import forum_space, services
from app.plugins.groups.models import GroupInvitation, GroupMembership
from tests.factories import make_user
from tests.plugins.groups.support import ENABLED, make_group, partner

pytestmark = ENABLED


def _rows(db, group) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(GroupMembership).where(GroupMembership.group_id == group.id)
    )


# --- groups and leaders ----------------------------------------------------------------------


def test_an_admin_creates_a_group_with_its_forum_category(db, admin):
    group = make_group(admin, "EMEA MSPs", description="Hello *there*")
    assert group.slug == "emea-msps" and group.kind == "regional" and group.region == "EMEA"
    assert "<em>there</em>" in group.description_html
    assert forum_space.forum_of(group) is not None


def test_only_admins_create_groups(db, mentor):
    with pytest.raises(PermissionDenied):
        services.create_group(mentor, "Mine", region="EMEA")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "regional", "region": "", "country": ""}, "region"),
        ({"kind": "topic", "topic_tags": ""}, "topic_tags"),
        ({"kind": "club"}, "kind"),
        ({"visibility": "secret"}, "visibility"),
        ({"join_policy": "bribe"}, "join_policy"),
        ({"topic_tags": ["x"] * 3 + [f"t{n}" for n in range(12)], "kind": "topic"}, "topic_tags"),
        ({"region": "x" * 81}, "region"),
        ({"description": "a\x00b"}, "description"),
    ],
)
def test_bad_group_fields_are_refused_on_the_field(db, admin, fields, field):
    values = {"kind": "regional", "region": "EMEA", **fields}
    with pytest.raises(Invalid) as refused:
        services.create_group(admin, "Group", **values)
    assert refused.value.field == field


def test_names_are_unique_and_slugs_never_collide(db, admin):
    make_group(admin, "EMEA MSPs")
    with pytest.raises(Invalid) as refused:
        make_group(admin, "emea msps")
    assert refused.value.field == "name"
    assert make_group(admin, "EMEA-MSPs").slug == "emea-msps-2"
    assert make_group(admin, "New").slug == "new-2"  # /groups/new is a page


def test_leaders_are_mentors_or_admins_and_become_members(db, admin, mentor, open_group):
    plain = partner()
    with pytest.raises(Invalid) as refused:
        services.appoint_leader(admin, open_group, plain, "co_organizer")
    assert "mentors or admins" in refused.value.message
    assert services.is_member(mentor, open_group) and services.is_organizer(mentor, open_group)


def test_organizers_add_co_organizers_but_not_organizers(db, admin, mentor, open_group):
    other = make_user(role="mentor")
    third = make_user(role="mentor")
    with pytest.raises(PermissionDenied):
        services.appoint_leader(mentor, open_group, other, "organizer")
    leader = services.appoint_leader(mentor, open_group, other, "co_organizer")
    assert leader.role == "co_organizer" and services.is_member(other, open_group)
    with pytest.raises(PermissionDenied):  # a co-organizer appoints no one
        services.appoint_leader(other, open_group, third, "co_organizer")
    with pytest.raises(Conflict):
        services.appoint_leader(mentor, open_group, other, "co_organizer")


def test_only_an_admin_removes_an_organizer(db, admin, mentor, open_group):
    co = make_user(role="mentor")
    services.appoint_leader(mentor, open_group, co, "co_organizer")
    organizer = services.leader_of(mentor, open_group)
    with pytest.raises(PermissionDenied):
        services.remove_leader(co, organizer)
    services.remove_leader(mentor, services.leader_of(co, open_group))
    services.remove_leader(admin, organizer)
    assert services.leaders(open_group) == [] and services.is_member(mentor, open_group)


# --- joining ---------------------------------------------------------------------------------


def test_joining_an_open_group_and_leaving_it(db, open_group, someone):
    services.join(someone, open_group)
    assert services.is_member(someone, open_group)
    with pytest.raises(Conflict, match="already a member"):
        services.join(someone, open_group)
    services.leave(someone, open_group)
    assert services.membership_of(someone, open_group).status == "left"
    with pytest.raises(Conflict):
        services.leave(someone, open_group)
    services.join(someone, open_group)  # an open group takes them back
    assert _rows(db, open_group) == 2  # the mentor's and theirs, reused


def test_by_request_and_by_invitation_groups_refuse_a_plain_join(db, request_group, hidden_group, someone):
    with pytest.raises(Invalid, match="ask to join"):
        services.join(someone, request_group)
    with pytest.raises(NotFound):  # a hidden group does not exist for them
        services.join(someone, hidden_group)
    services.invite(services.leaders(hidden_group)[0].user, hidden_group, someone)
    with pytest.raises(Invalid, match="by invitation only"):
        services.join(someone, hidden_group)
    assert not services.is_member(someone, hidden_group)


def test_a_request_is_approved_with_a_note_and_the_leader_is_told(db, mentor, request_group, someone):
    services.request_to_join(someone, request_group, "  Hello, I run a reseller in Ohio.  ")
    membership = services.membership_of(someone, request_group)
    assert membership.status == "pending" and membership.note == "Hello, I run a reseller in Ohio."
    told = db.session.scalars(sa.select(Notification).where(Notification.user_id == mentor.id)).all()
    assert [n.url for n in told] == [f"/groups/{request_group.slug}/lead"]
    with pytest.raises(Conflict, match="already asked"):
        services.request_to_join(someone, request_group)
    services.decide_request(mentor, membership, True, "Welcome!")
    assert services.is_member(someone, request_group) and membership.decision_note == "Welcome!"


def test_approving_twice_is_a_clear_error_and_changes_nothing(db, mentor, request_group, someone):
    membership = services.request_to_join(someone, request_group)
    services.decide_request(mentor, membership, True)
    joined = membership.joined_at
    with pytest.raises(Conflict, match="already been answered"):
        services.decide_request(mentor, membership, True)
    with pytest.raises(Conflict, match="already been answered"):
        services.decide_request(mentor, membership, False)
    assert membership.status == "active" and membership.joined_at == joined
    assert _rows(db, request_group) == 2


def test_a_declined_member_may_ask_again(db, mentor, request_group, someone):
    membership = services.request_to_join(someone, request_group)
    services.decide_request(mentor, membership, False, "Not this year")
    assert membership.status == "declined" and membership.decision_note == "Not this year"
    services.request_to_join(someone, request_group, "Again")
    assert services.membership_of(someone, request_group).status == "pending"


def test_a_leader_of_another_group_cannot_act_here(db, admin, request_group, someone):
    other_mentor = make_user(role="mentor")
    make_group(admin, "Elsewhere", other_mentor)
    membership = services.request_to_join(someone, request_group)
    with pytest.raises(PermissionDenied):
        services.decide_request(other_mentor, membership, True)
    with pytest.raises(PermissionDenied):
        services.pending_requests(someone, request_group)
    assert membership.status == "pending"


def test_a_leader_of_another_group_cannot_see_a_hidden_group(db, admin, hidden_group, someone):
    other_mentor = make_user(role="mentor")
    with pytest.raises(NotFound):
        services.invite(other_mentor, hidden_group, someone)
    with pytest.raises(NotFound):
        services.group_for(other_mentor, hidden_group.slug)


# --- invitations ----------------------------------------------------------------------------


def test_an_invitation_is_accepted_once(db, mentor, hidden_group, someone):
    invitation = services.invite(mentor, hidden_group, someone)
    assert services.group_for(someone, hidden_group.slug) == hidden_group  # the invitee may see it
    with pytest.raises(Conflict, match="already invited"):
        services.invite(mentor, hidden_group, someone)
    services.answer_invitation(someone, invitation, True)
    assert services.is_member(someone, hidden_group)
    with pytest.raises(Conflict, match="already been answered"):
        services.answer_invitation(someone, invitation, True)
    with pytest.raises(Conflict, match="already a member"):
        services.invite(mentor, hidden_group, someone)


def test_only_the_invitee_answers_an_invitation(db, mentor, hidden_group, someone):
    invitation = services.invite(mentor, hidden_group, someone)
    with pytest.raises(NotFound):
        services.answer_invitation(partner(), invitation, True)
    assert invitation.status == "pending"


def test_a_declined_invitation_leaves_a_hidden_group_invisible(db, mentor, hidden_group, someone):
    invitation = services.invite(mentor, hidden_group, someone)
    services.answer_invitation(someone, invitation, False)
    with pytest.raises(NotFound):
        services.group_for(someone, hidden_group.slug)


# --- removal and bans -------------------------------------------------------------------------


def test_a_removed_member_may_come_back_but_a_banned_one_may_not(
    db, mentor, open_group, request_group, someone
):
    services.join(someone, open_group)
    services.remove_member(mentor, open_group, services.membership_of(someone, open_group))
    assert not services.is_member(someone, open_group)
    services.join(someone, open_group)
    services.ban(mentor, open_group, services.membership_of(someone, open_group), "Spam")
    with pytest.raises(Conflict, match="cannot join"):
        services.join(someone, open_group)
    membership = services.request_to_join(someone, request_group)
    services.ban(mentor, request_group, membership)
    with pytest.raises(Conflict, match="cannot join"):
        services.request_to_join(someone, request_group, "please")
    with pytest.raises(Conflict, match="banned"):
        services.invite(mentor, request_group, someone)


def test_a_ban_revokes_a_pending_invitation(db, mentor, open_group, someone):
    services.join(someone, open_group)
    services.leave(someone, open_group)
    invitation = services.invite(mentor, open_group, someone)
    services.ban(mentor, open_group, services.membership_of(someone, open_group))
    db.session.refresh(invitation)
    assert invitation.status == "revoked"
    with pytest.raises(Conflict):
        services.answer_invitation(someone, invitation, True)
    assert services.is_banned(someone, open_group)


def test_lifting_a_ban_lets_them_join_again(db, mentor, open_group, someone):
    services.join(someone, open_group)
    membership = services.ban(mentor, open_group, services.membership_of(someone, open_group))
    services.lift_ban(mentor, open_group, membership)
    services.join(someone, open_group)
    assert services.is_member(someone, open_group)


def test_leaders_are_neither_removed_nor_banned_as_members(db, admin, mentor, open_group):
    co = make_user(role="mentor")
    services.appoint_leader(mentor, open_group, co, "co_organizer")
    with pytest.raises(Conflict, match="leads this group"):
        services.ban(mentor, open_group, services.membership_of(co, open_group))
    with pytest.raises(Invalid, match="Leave the group"):
        services.remove_member(mentor, open_group, services.membership_of(mentor, open_group))


def test_an_organizer_cannot_leave_but_a_co_organizer_steps_down_by_leaving(db, mentor, open_group):
    co = make_user(role="mentor")
    services.appoint_leader(mentor, open_group, co, "co_organizer")
    with pytest.raises(Conflict, match="organizer cannot leave"):
        services.leave(mentor, open_group)
    services.leave(co, open_group)
    assert services.leader_of(co, open_group) is None and not services.is_member(co, open_group)


def test_removing_someone_from_another_group_is_not_found(db, admin, mentor, open_group, someone):
    other = make_group(admin, "Other", make_user(role="mentor"))
    services.join(someone, other)
    with pytest.raises(NotFound):
        services.remove_member(mentor, open_group, services.membership_of(someone, other))


# --- the group's forum ------------------------------------------------------------------------


def test_joining_watches_the_groups_forum_by_the_groups_default(db, admin, mentor, open_group, someone):
    forum = forum_space.forum_of(open_group)
    services.join(someone, open_group)
    assert forums.is_watching_category(someone, forum)
    topic = forums.create_topic(mentor, forum, "First call on Thursday", "Agenda to follow.")
    assert someone in forums.watchers_of(topic)
    quiet = make_group(admin, "Quiet", mentor, watch_on_join=False)
    services.join(someone, quiet)
    assert not forums.is_watching_category(someone, forum_space.forum_of(quiet))


def test_a_former_member_of_a_hidden_group_is_no_watcher_of_its_topics(db, mentor, hidden_group, someone):
    services.answer_invitation(someone, services.invite(mentor, hidden_group, someone), True)
    forum = forum_space.forum_of(hidden_group)
    assert forums.is_watching_category(someone, forum)
    services.leave(someone, hidden_group)
    topic = forums.create_topic(mentor, forum, "After you left", "Not for you.")
    assert someone not in forums.watchers_of(topic)


# --- groups near you --------------------------------------------------------------------------


def test_groups_near_you_match_region_country_or_specialisms(db, admin, mentor, open_group, hidden_group):
    make_group(admin, "Irish Partners", country="Ireland", region="")
    make_group(admin, "Cloud Topics", kind="topic", region="", topic_tags="Cloud licensing")
    make_group(admin, "Security Open", kind="topic", region="", topic_tags=["security"])
    member = partner(region="emea", country="IE", specialisms=["SECURITY"])  # profiles store codes
    names = [g.name for g in services.groups_near(member)]
    assert names == ["EMEA MSPs", "Irish Partners", "Security Open"]  # never the hidden one
    services.join(member, open_group)
    assert "EMEA MSPs" not in [g.name for g in services.groups_near(member)]
    assert services.groups_near(partner(region="LATAM")) == []


def test_a_hidden_group_is_listed_only_to_those_it_admits(db, admin, mentor, hidden_group, someone):
    assert hidden_group not in services.visible_groups(someone)
    assert hidden_group in services.visible_groups(admin)
    assert hidden_group in services.visible_groups(mentor)
    invitation = services.invite(mentor, hidden_group, someone)
    assert hidden_group in services.visible_groups(someone)
    services.answer_invitation(someone, invitation, True)
    services.leave(someone, hidden_group)
    assert hidden_group not in services.visible_groups(someone)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GroupInvitation)) == 1


def test_a_leader_who_stops_being_eligible_is_flagged_not_removed(db, admin, mentor, open_group):
    assert services.ineligible_leaders(admin) == []
    mentor.role = "member"
    db.session.flush()
    [flagged] = services.ineligible_leaders(admin)
    assert flagged.user_id == mentor.id and services.is_organizer(mentor, open_group)
    with pytest.raises(PermissionDenied):
        services.ineligible_leaders(mentor)
