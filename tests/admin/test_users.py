"""The admin's users pages: search and filters, one member's page, and each action
(role, suspend, unsuspend, resend confirmation, sign out everywhere, data export),
every one of which lands in the audit log."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.accounts.models import User, UserSession
from app.admin import users as admin_users
from app.core.db import utcnow
from app.core.errors import Invalid, PermissionDenied
from app.moderation.models import AuditEntry
from app.notifications.mail import outbox_messages
from tests.factories import make_org, make_post, make_topic, make_user


def audit_actions(db, user: User) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.target_type == "user", AuditEntry.target_id == user.id)
            .order_by(AuditEntry.id)
        )
    )


def test_search_finds_members_by_part_of_name_username_or_email(db, login_as, admin):
    make_user(username="zed", display_name="Zed Zebra", email="zed@partner.example")
    make_user(username="yan", display_name="Yan")
    db.session.commit()
    client = login_as(admin)
    html = client.get("/admin/users?q=zebr").get_data(as_text=True)
    assert "Zed Zebra" in html and "@yan" not in html
    assert "Zed Zebra" in client.get("/admin/users?q=PARTNER.example").get_data(as_text=True)


def test_a_percent_sign_in_the_search_is_literal(db, login_as, admin):
    make_user(username="plain", display_name="Plain")
    db.session.commit()
    html = login_as(admin).get("/admin/users?q=%25").get_data(as_text=True)
    assert "No member matches" in html


def test_filters_by_role_organization_status_and_last_seen(db, admin):
    org = make_org(name="Acme")
    in_org = make_user(username="inorg", organization=org, last_seen_at=utcnow() - timedelta(days=2))
    mod = make_user(role="moderator", username="moddy", last_seen_at=utcnow() - timedelta(days=200))
    unconfirmed = make_user(username="newbie", confirmed_at=None)
    suspended = make_user(username="away", suspended_until=utcnow() + timedelta(days=5))
    db.session.commit()

    def names(**args) -> set[str]:
        filters = admin_users.UserFilters.from_args(args)
        return {u.username for u in admin_users.search_users(admin, filters).users}

    assert names(role="moderator") == {mod.username}
    assert names(organization=str(org.id)) == {in_org.username}
    assert names(status="unconfirmed") == {unconfirmed.username}
    assert names(status="suspended") == {suspended.username}
    assert suspended.username not in names(status="active")
    assert names(seen="7") == {in_org.username}
    assert mod.username in names(seen="never90") and in_org.username not in names(seen="never90")


def test_unknown_filter_values_are_ignored_not_an_error(db, login_as, admin):
    response = login_as(admin).get("/admin/users?role=emperor&organization=٣&status=x&seen=-1&page=abc")
    assert response.status_code == 200


def test_the_user_page_shows_activity_sessions_and_history(db, login_as, admin, member):
    make_post(make_topic(author=member, title="Routing tips"), author=member)
    db.session.commit()
    html = login_as(admin).get(f"/admin/users/{member.username}").get_data(as_text=True)
    assert "Routing tips" in html
    assert "Not signed in anywhere." in html
    assert "No staff action about this member yet." in html


def test_an_unknown_user_page_is_404(db, login_as, admin):
    assert login_as(admin).get("/admin/users/nobody").status_code == 404


def test_role_change_goes_through_accounts_and_is_audited(db, login_as, admin, member):
    response = login_as(admin).post(
        f"/admin/users/{member.username}/role", data={"role": "moderator", "reason": "helps a lot"}
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/users/{member.username}"
    db.session.refresh(member)
    assert member.role == "moderator"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.set_role"))
    assert entry.actor_id == admin.id and entry.reason == "helps a lot"


def test_an_unknown_role_is_refused_and_nothing_changes(db, login_as, admin, member):
    response = login_as(admin).post(f"/admin/users/{member.username}/role", data={"role": "emperor"})
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.role == "member" and audit_actions(db, member) == []


def test_suspend_and_unsuspend_from_the_user_page_are_audited(db, login_as, admin, member):
    client = login_as(admin)
    until = (date.today() + timedelta(days=7)).isoformat()
    response = client.post(f"/admin/users/{member.username}/suspend", data={"until": until, "reason": "spam"})
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.is_suspended
    response = client.post(f"/admin/users/{member.username}/unsuspend", data={"reason": "appeal"})
    assert response.status_code == 302
    db.session.refresh(member)
    assert not member.is_suspended
    assert audit_actions(db, member) == ["user.suspend", "user.unsuspend"]


def test_a_suspension_in_the_past_is_refused_with_a_message(db, login_as, admin, member):
    client = login_as(admin)
    response = client.post(
        f"/admin/users/{member.username}/suspend",
        data={"until": "2001-01-01", "reason": "spam"},
        follow_redirects=True,
    )
    assert "must end in the future" in response.get_data(as_text=True)
    db.session.refresh(member)
    assert not member.is_suspended


def test_silence_and_unsilence_from_the_user_page_are_audited(db, login_as, admin, member):
    client = login_as(admin)
    page = client.get(f"/admin/users/{member.username}").get_data(as_text=True)
    assert f'action="/admin/users/{member.username}/silence"' in page
    until = (date.today() + timedelta(days=7)).isoformat()
    response = client.post(
        f"/admin/users/{member.username}/silence", data={"until": until, "reason": "flaming"}
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/users/{member.username}"
    db.session.refresh(member)
    assert member.is_silenced and member.silenced_reason == "flaming" and not member.is_suspended
    page = client.get(f"/admin/users/{member.username}").get_data(as_text=True)
    assert "Silenced until" in page and f'action="/admin/users/{member.username}/unsilence"' in page
    response = client.post(f"/admin/users/{member.username}/unsilence", data={"reason": "calmer now"})
    assert response.status_code == 302
    db.session.refresh(member)
    assert not member.is_silenced
    assert audit_actions(db, member) == ["user.silence", "user.unsilence"]


def test_a_silence_without_a_reason_or_in_the_past_is_refused_with_a_message(db, login_as, admin, member):
    client = login_as(admin)
    url = f"/admin/users/{member.username}/silence"
    no_reason = client.post(
        url, data={"until": (date.today() + timedelta(days=3)).isoformat()}, follow_redirects=True
    )
    assert no_reason.status_code == 200 and "Please give a reason." in no_reason.get_data(as_text=True)
    past = client.post(url, data={"until": "2001-01-01", "reason": "spam"}, follow_redirects=True)
    assert "must end in the future" in past.get_data(as_text=True)
    db.session.refresh(member)
    assert not member.is_silenced and audit_actions(db, member) == []


def test_an_admin_is_offered_no_silence_control_and_cannot_be_silenced(db, login_as, admin):
    other_admin = make_user(role="admin", username="otheradmin")
    db.session.commit()
    client = login_as(admin)
    page = client.get(f"/admin/users/{other_admin.username}").get_data(as_text=True)
    assert "/silence" not in page
    response = client.post(
        f"/admin/users/{other_admin.username}/silence",
        data={"until": (date.today() + timedelta(days=3)).isoformat(), "reason": "no"},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "Administrators cannot be silenced." in response.get_data(
        as_text=True
    )
    db.session.refresh(other_admin)
    assert not other_admin.is_silenced and audit_actions(db, other_admin) == []


def test_a_moderator_cannot_silence_through_the_admin_service(db, member):
    moderator = make_user(role="moderator", username="moddy")
    db.session.commit()
    with pytest.raises(PermissionDenied):
        admin_users.silence(moderator, member, date.today() + timedelta(days=3), "spam")
    assert not member.is_silenced


def test_unsilencing_a_member_who_is_not_silenced_is_refused_with_a_message(db, login_as, admin, member):
    response = login_as(admin).post(
        f"/admin/users/{member.username}/unsilence", data={"reason": ""}, follow_redirects=True
    )
    assert response.status_code == 200 and "That member is not silenced." in response.get_data(as_text=True)
    assert audit_actions(db, member) == []


def test_resend_confirmation_sends_a_link_and_is_audited(app, db, login_as, admin):
    newbie = make_user(username="newbie", confirmed_at=None, email="newbie@example.com")
    db.session.commit()
    response = login_as(admin).post(f"/admin/users/{newbie.username}/resend-confirmation")
    assert response.status_code == 302
    messages = outbox_messages(app)
    assert messages and messages[-1]["To"] == "newbie@example.com"
    assert audit_actions(db, newbie) == ["user.resend_confirmation"]


def test_resend_confirmation_to_a_confirmed_member_is_refused(db, admin, member):
    with pytest.raises(Invalid):
        admin_users.resend_confirmation(admin, member)


def test_sign_out_everywhere_ends_every_session_of_the_member(app, db, login_as, admin, member):
    member_client = app.test_client()
    login_as(member)  # opens one server-side session for the member
    from tests.factories import browser_session_id

    with member_client.session_transaction() as session:
        session["_user_id"] = browser_session_id(member)
    assert (
        db.session.scalar(sa.select(sa.func.count(UserSession.id)).where(UserSession.user_id == member.id))
        == 2
    )
    response = login_as(admin).post(f"/admin/users/{member.username}/sign-out")
    assert response.status_code == 302
    assert (
        db.session.scalar(sa.select(sa.func.count(UserSession.id)).where(UserSession.user_id == member.id))
        == 0
    )
    assert member_client.get("/notifications/").status_code in (302, 401)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.sign_out_everywhere"))
    assert entry.details == {"sessions": 2}


def test_the_export_is_the_members_data_as_json_without_secrets(db, login_as, admin, member):
    make_post(make_topic(author=member, title="My topic"), author=member, body="Hello there")
    db.session.commit()
    response = login_as(admin).post(f"/admin/users/{member.username}/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    document = json.loads(response.get_data(as_text=True))
    assert document["account"]["email"] == member.email
    assert [t["title"] for t in document["topics"]] == ["My topic"]
    assert any(p["body"] == "Hello there" for p in document["posts"])
    assert document["chat_messages"] == [] and document["profile_fields"] == {}
    text = response.get_data(as_text=True)
    assert member.password_hash not in text and member.session_token not in text
    assert audit_actions(db, member) == ["user.export"]


def test_a_moderator_cannot_use_the_admin_user_services(db, moderator, member):
    for call in (
        lambda: admin_users.change_role(moderator, member, "admin"),
        lambda: admin_users.sign_out_everywhere(moderator, member),
        lambda: admin_users.export_user_data(moderator, member),
        lambda: admin_users.resend_confirmation(moderator, member),
    ):
        with pytest.raises(PermissionDenied):
            call()
