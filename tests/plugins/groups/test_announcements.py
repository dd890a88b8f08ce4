"""Announcements: a leader's post reaches the group's active members in-app and by
email, except those who turned the group's announcements off; only leaders post, only
those who may see the members read them, and bad input writes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.errors import Invalid, PermissionDenied
from app.notifications.mail import outbox_messages
from app.notifications.models import Notification
from app.plugins.groups import announcements, services
from app.plugins.groups.models import GroupAnnouncement
from tests.hostile import page_script_vectors_in, xss_vectors
from tests.plugins.groups.support import ENABLED, make_group, partner

pytestmark = ENABLED


def _told(db, user) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.user_id == user.id)
    )


def test_an_announcement_reaches_active_members_who_did_not_turn_it_off(
    app, db, mentor, open_group, request_group
):
    hears, muted, left, asking = partner(), partner(), partner(), partner()
    for person in (hears, muted, left):
        services.join(person, open_group)
    announcements.set_muted(muted, open_group, True)
    services.leave(left, open_group)
    db.session.commit()
    _, told = announcements.post_announcement(mentor, open_group, "Thursday call", "Agenda: **MDF**.")
    db.session.commit()
    assert told == 1
    assert (_told(db, hears), _told(db, muted), _told(db, left), _told(db, asking)) == (1, 0, 0, 0)
    [mail] = [m for m in outbox_messages(app) if m["To"] == hears.email]
    assert "EMEA MSPs: Thursday call" in mail["Subject"]
    assert "MDF" not in mail.get_body(preferencelist=("plain",)).get_content()  # the text stays on the page


def test_a_member_removed_before_the_commit_gets_no_mail(app, db, mentor, open_group):
    gone = partner()
    services.join(gone, open_group)
    db.session.commit()
    announcements.post_announcement(mentor, open_group, "Big news", "Read on the page.")
    services.remove_member(mentor, open_group, services.membership_of(gone, open_group))
    db.session.commit()
    assert [m for m in outbox_messages(app) if m["To"] == gone.email] == []


def test_only_leaders_post_and_bad_input_is_refused(db, mentor, open_group, someone):
    services.join(someone, open_group)
    with pytest.raises(PermissionDenied):
        announcements.post_announcement(someone, open_group, "Me", "Hi")
    with pytest.raises(Invalid) as refused:
        announcements.post_announcement(mentor, open_group, "  ", "Hi")
    assert refused.value.field == "title"
    with pytest.raises(Invalid):
        announcements.post_announcement(mentor, open_group, "Title", "a\x00b")


def test_posting_and_reading_through_the_page(db, client, login_as, admin, mentor, someone):
    quiet = make_group(admin, "Quiet Group", mentor, visibility="members", join_policy="request")
    member, outsider = partner(), partner()
    services.answer_invitation(member, services.invite(mentor, quiet, member), True)
    db.session.commit()
    login_as(mentor)
    page = client.get(f"/groups/{quiet.slug}").get_data(as_text=True)
    assert "No announcements yet" in page and "Post an announcement" in page
    bad = client.post(f"/groups/{quiet.slug}/announcements", data={"title": "", "body": "x"})
    assert (
        bad.status_code == 400
        and db.session.scalar(sa.select(sa.func.count()).select_from(GroupAnnouncement)) == 0
    )
    ok = client.post(
        f"/groups/{quiet.slug}/announcements", data={"title": "Spring meetup", "body": "In *Leeds*."}
    )
    assert ok.status_code == 302
    assert "<em>Leeds</em>" in login_as(member).get(f"/groups/{quiet.slug}").get_data(as_text=True)
    page = login_as(outsider).get(f"/groups/{quiet.slug}").get_data(as_text=True)
    assert "Spring meetup" not in page and "Announcements" not in page
    assert (
        client.post(f"/groups/{quiet.slug}/announcements", data={"title": "x", "body": "y"}).status_code
        == 403
    )


def test_turning_announcements_off_and_on_from_the_page(db, client, login_as, open_group, someone):
    services.join(someone, open_group)
    db.session.commit()
    login_as(someone)
    assert "Turn announcements off" in client.get(f"/groups/{open_group.slug}").get_data(as_text=True)
    client.post(f"/groups/{open_group.slug}/announcements/mute")
    db.session.expire_all()
    assert services.membership_of(someone, open_group).announcements_muted is True
    assert "Hear of announcements again" in client.get(f"/groups/{open_group.slug}").get_data(as_text=True)
    client.post(f"/groups/{open_group.slug}/announcements/unmute")
    db.session.expire_all()
    assert services.membership_of(someone, open_group).announcements_muted is False


def test_outsiders_of_a_hidden_group_cannot_mute_or_post(db, client, login_as, hidden_group, someone):
    login_as(someone)
    assert client.post(f"/groups/{hidden_group.slug}/announcements/mute").status_code == 404
    assert (
        client.post(
            f"/groups/{hidden_group.slug}/announcements", data={"title": "x", "body": "y"}
        ).status_code
        == 404
    )


def test_hostile_announcements_never_become_markup(
    db, client, login_as, mentor, open_group, someone, hostile
):
    for text in xss_vectors(limit=30):
        try:
            announcements.post_announcement(mentor, open_group, text[:200] or "x", text or "x")
            db.session.commit()
        except Invalid:
            db.session.rollback()
    services.join(someone, open_group)
    db.session.commit()
    page = login_as(someone).get(f"/groups/{open_group.slug}").get_data(as_text=True)
    assert page_script_vectors_in(page) == []
