"""Group notices: the leaders hear of a request, the member of an approval, the invitee
of an invitation, in-app and by email by default; an email about a group goes only to
someone who may still see what it is about when it is built (at commit)."""

from __future__ import annotations

import sqlalchemy as sa

from app.notifications import kinds
from app.notifications.mail import outbox_messages
from app.notifications.models import Notification
from app.plugins.groups import notices, services
from tests.plugins.groups.support import ENABLED, partner

pytestmark = ENABLED


def _mail_to(app, user, about: str) -> list:
    return [m for m in outbox_messages(app) if m["To"] == user.email and about in m["Subject"]]


def _notices(db, user) -> list[str]:
    rows = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    return [n.url for n in rows]


def test_every_group_kind_is_declared_and_emailed_by_default(db):
    declared = kinds.plugin_kinds()
    for kind in services.NOTIFICATION_KINDS:
        assert declared[kind].group == notices.GROUP_LABEL and declared[kind].email is True


def test_a_request_reaches_the_leaders_and_the_approval_the_member(app, db, mentor, request_group, someone):
    membership = services.request_to_join(someone, request_group, "hi")
    db.session.commit()
    assert _notices(db, mentor) == [f"/groups/{request_group.slug}/lead"]
    assert len(_mail_to(app, mentor, "asked to join North America Resellers")) == 1
    services.decide_request(mentor, membership, True)
    db.session.commit()
    assert _notices(db, someone) == [f"/groups/{request_group.slug}"]
    assert len(_mail_to(app, someone, "Welcome to North America Resellers")) == 1


def test_an_invitation_revoked_by_a_ban_before_the_commit_sends_no_mail(app, db, mentor, open_group, someone):
    services.join(someone, open_group)
    services.leave(someone, open_group)
    db.session.commit()
    services.invite(mentor, open_group, someone)
    services.ban(mentor, open_group, services.membership_of(someone, open_group))
    db.session.commit()
    assert _mail_to(app, someone, "invited to join") == []


def test_an_invitation_to_a_hidden_group_reaches_only_the_invitee(app, db, mentor, hidden_group, someone):
    other = partner()
    db.session.commit()
    services.invite(mentor, hidden_group, someone)
    db.session.commit()
    assert len(_mail_to(app, someone, "invited to join Security Circle")) == 1
    assert _notices(db, other) == [] and _mail_to(app, other, "Security Circle") == []


def test_may_reach_follows_access(db, mentor, request_group, hidden_group, someone):
    lead, page = f"/groups/{request_group.slug}/lead", f"/groups/{request_group.slug}"
    assert notices.may_reach(mentor, "group_request", lead) is True
    assert notices.may_reach(someone, "group_request", lead) is False
    assert notices.may_reach(someone, "group_joined", page) is False
    assert notices.may_reach(someone, "group_invitation", f"/groups/{hidden_group.slug}") is False
    assert notices.may_reach(someone, "group_joined", "/groups/no-such-group") is False
    assert notices.may_reach(someone, "council_seat", page) is None
