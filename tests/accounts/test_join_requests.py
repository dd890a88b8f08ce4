"""Organization join requests: a member without an organization asks, the
organization's admins (or a site admin) approve or decline, both sides are notified,
and the decision lands in the audit log."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.accounts import organizations
from app.accounts.models import JOIN_APPROVED, JOIN_DECLINED, OrganizationJoinRequest
from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.moderation.models import AuditEntry
from app.notifications.models import Notification
from tests.factories import make_org, make_user


@pytest.fixture
def acme(db):
    org = make_org(slug="acme", name="Acme", email_domains=["acme.example"])
    org_admin = make_user(organization=org, is_org_admin=True, username="boss", display_name="Boss")
    db.session.commit()
    return org, org_admin


@pytest.fixture
def newcomer(db):
    user = make_user(email="nina@acme.example", username="nina", display_name="Nina")
    db.session.commit()
    return user


def _notifications(user) -> list[Notification]:
    from app.extensions import db

    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)))


def test_request_to_join_notifies_the_organization_admins(db, acme, newcomer):
    org, org_admin = acme
    join_request = organizations.request_to_join(newcomer, org, "I run the Berlin team")
    db.session.commit()
    assert join_request.note == "I run the Berlin team"
    [note] = _notifications(org_admin)
    assert "Nina asked to join Acme" in note.message
    assert note.url == "/o/acme/requests"


def test_a_member_has_one_open_request_at_a_time(db, acme, newcomer):
    org, _ = acme
    other = make_org(slug="other", name="Other")
    organizations.request_to_join(newcomer, org)
    with pytest.raises(Conflict):
        organizations.request_to_join(newcomer, other)


def test_a_member_of_an_organization_cannot_ask_to_join_another(db, acme):
    _org, org_admin = acme
    with pytest.raises(Conflict):
        organizations.request_to_join(org_admin, make_org())


def test_an_overlong_note_is_refused(db, acme, newcomer):
    with pytest.raises(Invalid):
        organizations.request_to_join(newcomer, acme[0], "x" * 1001)


def test_approving_makes_the_member_join_audits_and_notifies(db, acme, newcomer):
    org, org_admin = acme
    join_request = organizations.request_to_join(newcomer, org)
    organizations.decide_join_request(org_admin, join_request, approve=True)
    db.session.commit()
    assert newcomer.organization_id == org.id and not newcomer.is_org_admin
    assert join_request.status == JOIN_APPROVED and join_request.decided_by_id == org_admin.id
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "org.join_approved"))
    assert entry.actor_id == org_admin.id and entry.target_id == newcomer.id
    assert any("was approved" in n.message for n in _notifications(newcomer))


def test_declining_leaves_the_member_outside_and_tells_them(db, acme, newcomer):
    org, org_admin = acme
    join_request = organizations.request_to_join(newcomer, org)
    organizations.decide_join_request(org_admin, join_request, approve=False)
    db.session.commit()
    assert newcomer.organization_id is None
    assert join_request.status == JOIN_DECLINED
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "org.join_declined"))
    assert any("was declined" in n.message for n in _notifications(newcomer))


def test_a_request_is_answered_only_once(db, acme, newcomer):
    org, org_admin = acme
    join_request = organizations.request_to_join(newcomer, org)
    organizations.decide_join_request(org_admin, join_request, approve=False)
    with pytest.raises(Conflict):
        organizations.decide_join_request(org_admin, join_request, approve=True)


def test_an_org_admin_decides_only_their_own_organizations_requests(db, acme, newcomer):
    org, _ = acme
    other = make_org(slug="rival", name="Rival")
    rival_admin = make_user(organization=other, is_org_admin=True)
    plain_member = make_user(organization=org)
    join_request = organizations.request_to_join(newcomer, org)
    for outsider in (rival_admin, plain_member):
        with pytest.raises(PermissionDenied):
            organizations.decide_join_request(outsider, join_request, approve=True)
        with pytest.raises(PermissionDenied):
            organizations.pending_join_requests(outsider, org)
    assert newcomer.organization_id is None


def test_a_site_admin_may_decide_any_organizations_request(db, acme, newcomer, admin):
    join_request = organizations.request_to_join(newcomer, acme[0])
    organizations.decide_join_request(admin, join_request, approve=True)
    assert newcomer.organization_id == acme[0].id


def test_a_request_of_another_organization_is_not_found_under_this_one(db, acme, newcomer):
    org, org_admin = acme
    other = make_org(slug="rival")
    join_request = organizations.request_to_join(newcomer, other)
    with pytest.raises(NotFound):
        organizations.get_join_request(org_admin, org, join_request.id)


def test_the_email_domain_suggests_the_organization(db, acme, newcomer):
    assert [org.slug for org in organizations.suggested_organizations(newcomer)] == ["acme"]
    outsider = make_user(email="someone@elsewhere.example")
    assert organizations.suggested_organizations(outsider) == []


def test_bad_email_domains_are_refused(db, admin):
    with pytest.raises(Invalid):
        organizations.create_organization(admin, "Beta", "reseller", email_domains="not a domain!")
    org = organizations.create_organization(
        admin, "Beta", "reseller", email_domains="@Beta.example, beta.example"
    )
    assert org.email_domains == ["beta.example"]


# --- HTTP ------------------------------------------------------------------------------------


def test_member_asks_to_join_through_the_page(client, sign_in, db, acme, newcomer):
    sign_in(newcomer)
    page = client.get("/o/acme")
    assert b"Ask to join Acme" in page.data
    response = client.post("/o/acme/join", data={"note": "Hello"})
    assert response.status_code == 302
    stored = db.session.scalar(sa.select(OrganizationJoinRequest))
    assert stored.user_id == newcomer.id and stored.note == "Hello"
    assert b"have not answered yet" in client.get("/o/acme").data


def test_org_admin_approves_from_the_requests_page(client, sign_in, db, acme, newcomer):
    org, org_admin = acme
    join_request = organizations.request_to_join(newcomer, org, "Berlin")
    db.session.commit()
    sign_in(org_admin)
    page = client.get("/o/acme/requests")
    assert page.status_code == 200 and b"Nina" in page.data and b"Berlin" in page.data
    response = client.post(f"/o/acme/requests/{join_request.id}", data={"decision": "approve"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/o/acme/requests")
    db.session.refresh(newcomer)
    assert newcomer.organization_id == org.id
    assert b"No pending requests" in client.get("/o/acme/requests").data


def test_another_organizations_admin_gets_403_on_the_requests_page(client, sign_in, db, acme, newcomer):
    org, _ = acme
    join_request = organizations.request_to_join(newcomer, org)
    rival_admin = make_user(organization=make_org(), is_org_admin=True)
    db.session.commit()
    sign_in(rival_admin)
    assert client.get("/o/acme/requests").status_code == 403
    assert client.post(f"/o/acme/requests/{join_request.id}", data={"decision": "approve"}).status_code == 403
    db.session.refresh(newcomer)
    assert newcomer.organization_id is None


def test_admin_organization_page_lists_pending_requests(client, sign_in, db, acme, newcomer, admin):
    org, _ = acme
    organizations.request_to_join(newcomer, org, "Please")
    db.session.commit()
    sign_in(admin)
    page = client.get(f"/admin/organizations/{org.id}")
    assert page.status_code == 200
    assert b"Join requests" in page.data and b"Nina" in page.data and b"Please" in page.data


def test_admin_organization_page_has_an_empty_state_for_requests(client, sign_in, db, acme, admin):
    sign_in(admin)
    assert b"No pending requests" in client.get(f"/admin/organizations/{acme[0].id}").data
