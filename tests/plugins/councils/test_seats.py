"""Seat rules, roles, charter acceptance and term expiry, at the service layer."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.plugins.councils import services
from app.plugins.councils.models import CouncilMembership
from tests.factories import make_org, make_user
from tests.hostile import naughty_strings, script_vectors_in, xss_vectors


def test_the_chair_grants_a_seat_and_the_member_must_accept_the_charter(db, council, chair):
    member = make_user(organization=make_org())
    services.grant_seat(chair, council, member)
    db.session.commit()
    assert services.is_current(services.membership_of(member, council))
    assert not services.may_enter(member, council)
    services.accept_charter(member, council, council.charter_version)
    assert services.may_enter(member, council)


def test_a_new_charter_version_asks_again_and_a_stale_version_is_refused(db, admin, council, chair):
    services.publish_charter(admin, council, "Version two.")
    db.session.commit()
    assert not services.may_enter(chair, council)
    with pytest.raises(Invalid, match="no longer current"):
        services.accept_charter(chair, council, 1)
    services.accept_charter(chair, council, 2)
    assert services.may_enter(chair, council)


def test_a_tier_rule_refuses_with_its_name(db, council, chair):
    services.grant_seat(chair, council, make_user(organization=make_org(tier="silver")))
    db.session.commit()
    with pytest.raises(Invalid, match=r"at most 1 seat.*partner tier .silver."):
        services.grant_seat(chair, council, make_user(organization=make_org(tier="silver")))
    db.session.rollback()
    assert council.seats_taken == 2  # chair + first silver; the refused grant wrote nothing


def test_one_seat_per_organization_unless_an_admin_overrides_with_a_reason(db, admin, council, chair):
    org = make_org()
    services.grant_seat(chair, council, make_user(organization=org))
    db.session.commit()
    second = make_user(organization=org)
    db.session.commit()
    with pytest.raises(Invalid, match="one seat per organization"):
        services.grant_seat(chair, council, second)
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        services.grant_seat(chair, council, second, override_reason="Two regions")
    db.session.rollback()
    membership = services.grant_seat(admin, council, second, override_reason="Covers two regions")
    assert membership.override_reason == "Covers two regions"


def test_no_seat_left_is_a_clear_conflict(db, council, chair):
    for _ in range(2):
        services.grant_seat(chair, council, make_user(organization=make_org()))
    db.session.commit()
    with pytest.raises(Conflict, match="No seat left"):
        services.grant_seat(chair, council, make_user(organization=make_org()))


def test_observers_are_staff_and_take_no_seat(db, council, chair):
    with pytest.raises(Invalid, match="vendor staff"):
        services.grant_seat(chair, council, make_user(), "observer")
    db.session.rollback()
    services.grant_seat(chair, council, make_user(role="moderator"), "observer")
    db.session.commit()
    assert council.seats_taken == 1


def test_a_member_cannot_grant_seats(db, council, chair):
    member = make_user(organization=make_org())
    services.grant_seat(chair, council, member)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.grant_seat(member, council, make_user(organization=make_org()))


def test_applications_only_in_the_window_and_the_chair_sees_the_applicant(db, admin, council, chair):
    partner = make_user(organization=make_org(tier="gold", regions=["EMEA"], specialisms=["Cloud"]))
    db.session.commit()
    with pytest.raises(Invalid, match="not open"):
        services.apply(partner, council, "Let me in")
    today = services.today()
    council.applications_open_from, council.applications_open_until = today, today + timedelta(days=5)
    db.session.commit()
    with pytest.raises(Invalid):
        services.apply(partner, council, "   ")
    db.session.rollback()
    application = services.apply(partner, council, "Ten years of EMEA deals")
    db.session.commit()
    profile = services.applicant_profile(application)
    assert (
        profile["tier"] == "gold" and profile["regions"] == ["EMEA"] and profile["specialisms"] == ["Cloud"]
    )
    services.decide_application(chair, application, grant=True)
    db.session.commit()
    assert services.is_current(services.membership_of(partner, council))


def test_an_invitation_grants_the_seat_when_accepted(db, council, chair):
    guest = make_user(organization=make_org())
    invitation = services.invite(chair, council, guest, "co_chair")
    db.session.commit()
    services.answer_invitation(guest, invitation, accept=True)
    db.session.commit()
    assert services.membership_of(guest, council).role == "co_chair"


def test_an_ended_term_loses_access_the_same_day_and_the_job_frees_the_seat(db, council, chair, runner):
    member = make_user(organization=make_org())
    membership = services.grant_seat(chair, council, member)
    services.accept_charter(member, council, council.charter_version)
    membership.term_end = services.today()
    db.session.commit()
    assert not services.may_enter(member, council)
    with pytest.raises(NotFound):
        services.council_for(member, council.id)
    result = runner.invoke(args=["councils", "expire-terms"])
    assert result.exit_code == 0 and "Ended 1" in result.output
    db.session.expire_all()
    assert db.session.get(CouncilMembership, membership.id).status == "ended"
    assert council.seats_taken == 1
    assert runner.invoke(args=["councils", "expire-terms"]).output.startswith("Ended 0")


def test_hostile_names_and_charters_are_refused_or_sanitized(db, admin):
    texts = xss_vectors(limit=60) + naughty_strings()[:60]
    for n, text in enumerate(texts):
        try:
            council = services.create_council(admin, f"{text[:100]} {n}", text or "x")
        except Invalid:
            db.session.rollback()
            continue
        assert script_vectors_in(services.current_charter(council).body_html) == []
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CouncilMembership)) == 0


def test_a_term_ending_within_30_days_is_announced_once(db, council, chair, runner):
    from app.notifications.models import Notification

    member = make_user(organization=make_org())
    membership = services.grant_seat(chair, council, member)
    membership.term_end = services.today() + timedelta(days=20)
    db.session.commit()
    assert runner.invoke(args=["councils", "expire-terms"]).exit_code == 0
    assert runner.invoke(args=["councils", "expire-terms"]).exit_code == 0
    kinds = db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == member.id))
    assert list(kinds).count("council_term_ending") == 1
    assert services.is_current(services.membership_of(member, council))  # still seated until the end
