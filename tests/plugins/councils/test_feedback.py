"""The feedback loop: members raise items, vendor staff respond, members read the
history, and unanswered items are flagged to admins after the configured days."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.core.errors import Invalid, NotFound, PermissionDenied
from app.notifications.models import Notification
from app.plugins.councils import feedback, motions, services
from app.plugins.councils.meeting_models import CouncilFeedback, CouncilFeedbackStatus
from tests.factories import make_org, make_user
from tests.hostile import script_vectors_in, xss_vectors


@pytest.fixture
def member(db, council, chair):
    user = make_user(organization=make_org())
    services.grant_seat(chair, council, user)
    services.accept_charter(user, council, council.charter_version)
    db.session.commit()
    return user


@pytest.fixture
def observer(db, admin, council):
    user = make_user(role="moderator")
    services.grant_seat(admin, council, user, "observer")
    services.accept_charter(user, council, council.charter_version)
    db.session.commit()
    return user


@pytest.fixture
def item(db, council, member):
    item = feedback.raise_feedback(member, council, "Deal registration", "Takes **two weeks**.", "Lost deals")
    db.session.commit()
    return item


def test_a_member_raises_an_item_linked_to_a_motion(db, council, chair, member):
    motion = motions.create_motion(
        chair, council, "Faster deals", "Text", closes_at=utcnow() + timedelta(days=1)
    )
    raised = feedback.raise_feedback(member, council, "Deals", "Slow", motion_id=str(motion.id))
    db.session.commit()
    assert raised.motion_id == motion.id and raised.status == "received"
    assert [h.status for h in raised.history] == ["received"]


def test_a_motion_of_another_council_cannot_be_linked(db, admin, council, member):
    other = services.create_council(admin, "Other", "Charter")
    other_chair = make_user(organization=make_org())
    services.grant_seat(admin, other, other_chair, "chair")
    foreign = motions.create_motion(admin, other, "M", "T", closes_at=utcnow() + timedelta(days=1))
    db.session.commit()
    with pytest.raises(Invalid, match="motion"):
        feedback.raise_feedback(member, council, "T", "P", motion_id=foreign.id)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(CouncilFeedback.id))) == 0


def test_observers_respond_and_members_see_the_history(db, council, member, observer, item):
    feedback.respond(observer, item, "under_review", "Looking at it")
    feedback.respond(observer, item, "planned", "In Q3")
    db.session.commit()
    seen = feedback.feedback_for(member, council, item.id)
    assert [h.status for h in seen.history] == ["received", "under_review", "planned"]
    assert seen.status == "planned" and seen.responded_at is not None
    kinds = [
        n.kind for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == member.id))
    ]
    assert kinds.count("council_feedback") == 2


def test_declining_needs_a_reason(db, admin, item):
    with pytest.raises(Invalid, match="required"):
        feedback.respond(admin, item, "declined", "")
    db.session.rollback()
    feedback.respond(admin, item, "declined", "Out of scope for this year")
    db.session.commit()
    assert item.status == "declined"


def test_members_cannot_respond_and_bad_statuses_are_refused(db, admin, member, item):
    with pytest.raises(PermissionDenied):
        feedback.respond(member, item, "shipped")
    with pytest.raises(Invalid):
        feedback.respond(admin, item, "forgotten", "x")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(CouncilFeedbackStatus.id))) == 1


def test_observers_do_not_raise_items(db, council, observer):
    with pytest.raises(PermissionDenied):
        feedback.raise_feedback(observer, council, "T", "P")


def test_items_without_a_response_are_flagged_to_admins_after_the_configured_days(
    app, db, admin, council, member, observer, item
):
    assert feedback.overdue(admin, council) == []
    item.created_at = utcnow() - timedelta(days=15)
    db.session.commit()
    assert feedback.overdue(admin, council) == [item]
    assert feedback.overdue(member, council) == [] and feedback.overdue(observer, council) == []
    app.config["COUNCILS_FEEDBACK_RESPONSE_DAYS"] = 30
    assert feedback.overdue(admin, council) == []
    app.config["COUNCILS_FEEDBACK_RESPONSE_DAYS"] = 14
    feedback.respond(observer, item, "under_review")
    db.session.commit()
    assert feedback.overdue(admin, council) == []


def test_feedback_pages_over_http(db, client, login_as, admin, council, member, item):
    item.created_at = utcnow() - timedelta(days=20)
    db.session.commit()
    login_as(admin)
    text = client.get(f"/councils/{council.id}/feedback").get_data(as_text=True)
    assert "Waiting more than 14 days" in text and "Deal registration" in text
    response = client.post(
        f"/councils/{council.id}/feedback/{item.id}/respond", data={"status": "declined", "note": ""}
    )
    assert response.status_code == 303 and db.session.get(CouncilFeedback, item.id).status == "received"
    client.post(
        f"/councils/{council.id}/feedback/{item.id}/respond", data={"status": "shipped", "note": "Done"}
    )
    login_as(member)
    text = client.get(f"/councils/{council.id}/feedback").get_data(as_text=True)
    assert "Waiting more than" not in text and "Shipped" in text
    page = client.get(f"/councils/{council.id}/feedback/{item.id}").get_data(as_text=True)
    assert "Received" in page and "Shipped" in page and "Save response" not in page


def test_outsiders_cannot_reach_feedback(db, item, council):
    with pytest.raises(NotFound):
        feedback.feedback_for(make_user(organization=make_org()), council, item.id)


def test_hostile_feedback_is_sanitized(db, council, member):
    for text in xss_vectors(limit=40):
        try:
            raised = feedback.raise_feedback(member, council, "T", text or "x", text)
        except Invalid:
            db.session.rollback()
            continue
        assert script_vectors_in(raised.problem_html) == [] and script_vectors_in(raised.impact_html) == []
        db.session.rollback()


def test_admins_see_overdue_items_of_every_council_on_one_page(db, client, login_as, admin, member, item):
    login_as(admin)
    assert "Nothing is waiting" in client.get("/councils/feedback/overdue").get_data(as_text=True)
    item.created_at = utcnow() - timedelta(days=15)
    db.session.commit()
    assert "Deal registration" in client.get("/councils/feedback/overdue").get_data(as_text=True)
    login_as(member)
    assert client.get("/councils/feedback/overdue").status_code == 404
