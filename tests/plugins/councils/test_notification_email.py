"""Council notices reach members in-app and by email as each member chose on the
notification preferences page; the email says only what the member may read, and a
member who is no longer on the council gets none."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.demo import seed_base
from app.notifications import kinds
from app.notifications.mail import outbox_messages
from app.plugins import plugin_manager
from app.plugins.councils import meetings, notices, services
from tests.factories import make_org, make_user
from tests.plugins.councils.test_motions import open_motion, seated


def _mail_to(app, user, about: str = "Adopt the roadmap") -> list:
    """Mail to ``user`` whose subject names ``about`` (their seat was mailed too)."""
    return [m for m in outbox_messages(app) if m["To"] == user.email and about in m["Subject"]]


def test_a_member_who_chose_email_gets_the_motion_opened_mail(app, db, council, chair):
    member = seated(db, council, chair)
    kinds.update_kind_preferences(member, {"council_motion_opened": "app_email"})
    db.session.commit()
    motion = open_motion(db, council, chair)
    (message,) = _mail_to(app, member)
    assert "Adopt the roadmap" in message["Subject"] and council.name in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert f"/councils/{council.id}/motions/{motion.id}" in text
    assert "A council motion opened for voting" in text  # why they get it: the kind's label
    assert "support" not in text  # the motion's text stays on the council's page


def test_a_member_who_chose_in_app_only_gets_no_mail(app, db, council, chair):
    member = seated(db, council, chair)
    kinds.update_kind_preferences(member, {"council_motion_opened": "app"})
    db.session.commit()
    open_motion(db, council, chair)
    assert _mail_to(app, member) == []


def test_outsiders_and_non_voters_get_no_mail(app, db, council, chair, admin):
    observer = make_user(organization=make_org(), role="moderator")
    services.grant_seat(admin, council, observer, "observer")
    services.accept_charter(observer, council, council.charter_version)
    outsider = make_user(organization=make_org())
    db.session.commit()
    open_motion(db, council, chair)
    assert _mail_to(app, observer) == [] and _mail_to(app, outsider) == []
    assert _mail_to(app, chair) == []  # the chair opened it: never told of their own act


def test_a_member_removed_before_the_commit_gets_no_mail(app, db, council, chair):
    member, stays = seated(db, council, chair), seated(db, council, chair)
    url = f"/councils/{council.id}/meetings/1"
    meetings.notify_members(council, "council_meeting", f"{council.name}: spring meeting", url, chair)
    services.end_membership(chair, services.membership_of(member, council))
    db.session.commit()
    assert _mail_to(app, member, "spring meeting") == []
    assert len(_mail_to(app, stays, "spring meeting")) == 1


def test_every_council_kind_is_declared_and_emailed_by_default(db):
    declared = kinds.plugin_kinds()
    expected = {
        "council_invitation",
        "council_application",
        "council_seat",
        "council_meeting",
        "council_motion_opened",
        "council_motion_closing",
        "council_motion_result",
        "council_feedback",
    }
    assert expected <= set(declared)
    for name in notices.KINDS:
        assert declared[name].group == notices.GROUP and declared[name].email and declared[name].in_app


@pytest.mark.parametrize(
    ("kind", "path", "member_answer"),
    [
        ("council_motion_opened", "/councils/{c}/motions/1", True),
        ("council_seat", "/councils/{c}", True),
        ("council_application", "/councils/{c}/applications", False),  # chairs only
        ("council_invitation", "/councils/", None),  # to a non-member by design
    ],
)
def test_may_reach_follows_access(db, council, chair, kind, path, member_answer):
    member = seated(db, council, chair)
    outsider = make_user(organization=make_org())
    url = path.format(c=council.id)
    assert notices.may_reach(member, kind, url) is member_answer
    if member_answer is not None:
        assert notices.may_reach(outsider, kind, url) is False
    assert notices.may_reach(member, "reply", url) is None  # not a council kind


def test_the_preferences_page_lists_the_council_kinds(db, login_as, council, chair):
    member = seated(db, council, chair)
    html = login_as(member).get("/notifications/preferences").get_data(as_text=True)
    assert f"<legend>{notices.GROUP}</legend>" in html
    assert "A council motion opened for voting" in html and 'name="kind_council_motion_result"' in html


def test_the_demo_members_get_council_mail_and_grace_keeps_results_in_the_app(app, db):
    seed_base()
    db.session.flush()
    plugin_manager(app).hook.seed_demo_data()
    db.session.commit()
    grace = db.session.scalar(sa.select(User).where(User.username == "grace"))
    assert kinds.kind_choices(grace)["council_motion_result"].value == "app"
    assert kinds.kind_choices(grace)["council_motion_opened"].value == "app_email"
    to_grace = [m for m in outbox_messages(app) if m["To"] == grace.email]
    assert to_grace and not any("closed" in m["Subject"] for m in to_grace)
    # The result of the demo's closed motion went by email to those who kept the default.
    assert any("closed" in m["Subject"] for m in outbox_messages(app))
