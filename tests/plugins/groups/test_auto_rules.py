"""Automatic membership rules: chosen by admins (profile region or country, or an
organization), applied when a rule is made, on registration and on profile change; a
member may leave an automatic group and is not put back by the next change."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.accounts import services as accounts
from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, PermissionDenied
from app.plugins.groups import auto_rules, services
from app.plugins.groups.models import GroupMembership
from tests.factories import make_org, make_user
from tests.plugins.groups.support import ENABLED, partner

pytestmark = ENABLED


def _profile(user, **changes):
    values = {
        "display_name": user.display_name,
        "region": user.region,
        "country": user.country,
        **changes,
    }
    return accounts.update_profile(user, user, **values)


def test_a_rule_adds_those_who_match_now(db, admin, open_group):
    emea, apac = partner(region="EMEA"), partner(region="APAC")
    rule, added = auto_rules.add_rule(admin, open_group, "region", "emea")
    assert added == 1 and rule.value == "emea"
    assert services.is_member(emea, open_group) and not services.is_member(apac, open_group)
    assert services.membership_of(emea, open_group).automatic is True


def test_registration_applies_the_rules(db, admin, open_group):
    org = make_org(name="Northwind", slug="northwind")
    auto_rules.add_rule(admin, open_group, "organization", "northwind")
    user = accounts.create_user("new@example.com", "New Person", "a long enough password 1", organization=org)
    assert services.is_member(user, open_group)


def test_a_profile_change_applies_the_rules_and_a_leaver_stays_out(db, admin, open_group, request_group):
    auto_rules.add_rule(admin, request_group, "country", "Ireland")
    member = partner(region="", country="")
    _profile(member, country="Ireland")
    assert services.is_member(member, request_group)  # a rule skips the request step
    services.leave(member, request_group)
    _profile(member, country="Ireland", region="EMEA")
    assert services.membership_of(member, request_group).status == "left"


def test_a_banned_or_pending_person_is_not_added(db, admin, mentor, request_group):
    banned, asking = partner(region="X"), partner(region="X")
    services.ban(mentor, request_group, services.request_to_join(banned, request_group))
    services.request_to_join(asking, request_group)
    _, added = auto_rules.add_rule(admin, request_group, "region", "X")
    assert added == 0
    assert services.membership_of(banned, request_group).status == "banned"
    assert services.membership_of(asking, request_group).status == "pending"


def test_only_admins_choose_rules_and_bad_rules_are_refused(db, admin, mentor, open_group):
    with pytest.raises(PermissionDenied):
        auto_rules.add_rule(mentor, open_group, "region", "EMEA")
    with pytest.raises(Invalid):
        auto_rules.add_rule(admin, open_group, "planet", "Mars")
    with pytest.raises(Invalid):
        auto_rules.add_rule(admin, open_group, "organization", "no-such-org")
    with pytest.raises(Invalid):
        auto_rules.add_rule(admin, open_group, "region", "  ")
    auto_rules.add_rule(admin, open_group, "region", "EMEA")
    with pytest.raises(Conflict):
        auto_rules.add_rule(admin, open_group, "region", "emea")


def test_removing_a_rule_keeps_its_members(db, admin, open_group):
    member = partner(region="EMEA")
    rule, _ = auto_rules.add_rule(admin, open_group, "region", "EMEA")
    auto_rules.remove_rule(admin, rule)
    assert services.is_member(member, open_group)
    assert auto_rules.apply_rules(partner(region="EMEA")) == []


def test_admins_manage_rules_on_the_leaders_page(db, client, login_as, admin, mentor, open_group):
    partner(region="LATAM")
    db.session.commit()
    login_as(admin)
    page = client.get(f"/groups/{open_group.slug}/lead").get_data(as_text=True)
    assert "Automatic membership" in page and "No rules" in page
    assert (
        client.post(
            f"/groups/{open_group.slug}/lead/rules", data={"kind": "region", "value": "LATAM"}
        ).status_code
        == 302
    )
    bad = client.post(f"/groups/{open_group.slug}/lead/rules", data={"kind": "organization", "value": "nope"})
    assert bad.status_code == 400 and "No organization" in bad.get_data(as_text=True)
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(GroupMembership).where(GroupMembership.automatic.is_(True))
    )
    assert count == 1
    login_as(mentor)
    assert "Automatic membership" not in client.get(f"/groups/{open_group.slug}/lead").get_data(as_text=True)
    assert (
        client.post(
            f"/groups/{open_group.slug}/lead/rules", data={"kind": "region", "value": "X"}
        ).status_code
        == 404
    )


def test_suspended_accounts_are_skipped(db, admin, open_group):
    user = make_user(region="EMEA")
    user.suspended_until = utcnow() + timedelta(days=3)
    db.session.flush()
    _, added = auto_rules.add_rule(admin, open_group, "region", "EMEA")
    assert added == 0
