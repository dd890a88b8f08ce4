"""Organization invitations: sent by org admins, accepted by the invited address only,
single use, expiring after seven days; newcomers can register from the invitation."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.accounts import organizations
from app.accounts.models import OrganizationInvite, User
from app.core.db import utcnow
from app.core.errors import Conflict, PermissionDenied
from tests.factories import make_org, make_user


@pytest.fixture
def acme(db):
    org = make_org(slug="acme", name="Acme")
    admin = make_user(organization=org, is_org_admin=True)
    db.session.commit()
    return org, admin


def invite(db, org, admin, email="new@example.com"):
    organizations.invite_colleague(admin, org, email)
    db.session.commit()


def test_invite_stores_a_hash_and_expires_in_seven_days(app, db, acme, last_token):
    org, admin = acme
    invitation = organizations.invite_colleague(admin, org, "New@Example.com")
    db.session.commit()
    raw = last_token("new@example.com", "/invite/")
    assert invitation.email == "new@example.com"
    assert invitation.token_hash != raw
    assert timedelta(days=6, hours=23) < invitation.expires_at - utcnow() <= timedelta(days=7)


def test_only_org_managers_may_invite(app, db, acme):
    org, _ = acme
    with pytest.raises(PermissionDenied):
        organizations.invite_colleague(make_user(organization=org), org, "x@example.com")


def test_inviting_an_existing_member_is_a_conflict(app, db, acme):
    org, admin = acme
    make_user(email="there@example.com", organization=org)
    with pytest.raises(Conflict):
        organizations.invite_colleague(admin, org, "there@example.com")


def test_invite_page_sends_invitation(client, db, acme, login_as, last_token):
    _org, admin = acme
    login_as(admin)
    assert client.get("/o/acme/invite").status_code == 200
    response = client.post("/o/acme/invite", data={"email": "new@example.com"})
    assert response.status_code == 302
    assert last_token("new@example.com", "/invite/")


def test_invite_page_refuses_bad_email_and_non_managers(client, db, acme, login_as):
    _org, admin = acme
    login_as(admin)
    assert client.post("/o/acme/invite", data={"email": "not an email"}).status_code == 400
    login_as(make_user())
    db.session.commit()
    assert client.get("/o/acme/invite").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrganizationInvite)) == 0


def test_signed_in_invitee_accepts_and_joins(client, db, acme, login_as, last_token):
    org, admin = acme
    invitee = make_user(email="new@example.com")
    invite(db, org, admin)
    token = last_token("new@example.com", "/invite/")
    login_as(invitee)
    page = client.get(f"/invite/{token}")
    assert page.status_code == 200
    assert b"Acme" in page.data
    response = client.post(f"/invite/{token}")
    assert response.status_code == 302
    db.session.refresh(invitee)
    assert invitee.organization_id == org.id
    assert client.post(f"/invite/{token}").status_code == 400  # single use


def test_someone_else_cannot_use_the_invitation(client, db, acme, login_as, last_token):
    org, admin = acme
    intruder = make_user(email="intruder@example.com")
    invite(db, org, admin)
    login_as(intruder)
    response = client.post(f"/invite/{last_token('new@example.com', '/invite/')}")
    assert response.status_code == 403
    db.session.refresh(intruder)
    assert intruder.organization_id is None


def test_expired_and_bogus_invitations_are_refused(client, db, acme, login_as, last_token):
    org, admin = acme
    invitee = make_user(email="new@example.com")
    invite(db, org, admin)
    db.session.execute(sa.update(OrganizationInvite).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    login_as(invitee)
    response = client.post(f"/invite/{last_token('new@example.com', '/invite/')}")
    assert response.status_code == 400
    assert b"expired" in response.data
    assert client.get("/invite/bogus").status_code == 404


def test_anonymous_visitor_is_offered_sign_in_or_registration(client, db, acme, last_token):
    org, admin = acme
    invite(db, org, admin)
    token = last_token("new@example.com", "/invite/")
    page = client.get(f"/invite/{token}")
    assert page.status_code == 200
    assert f"/register?invite={token}".encode() in page.data
    assert client.post(f"/invite/{token}").status_code == 403


def test_newcomer_registers_from_invitation_and_accepts(client, db, acme, last_token):
    org, admin = acme
    invite(db, org, admin)
    token = last_token("new@example.com", "/invite/")
    form = client.get(f"/register?invite={token}")
    assert b'value="new@example.com"' in form.data
    response = client.post(
        f"/register?invite={token}",
        data={
            "email": "new@example.com",
            "display_name": "Newcomer",
            "password": "long enough pw",
            "confirm": "long enough pw",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/invite/{token}"
    user = db.session.scalar(sa.select(User).where(User.email == "new@example.com"))
    assert user.confirmed_at is not None  # the invitation link proved the address
    assert client.post(f"/invite/{token}").status_code == 302
    db.session.refresh(user)
    assert user.organization_id == org.id


def test_registering_another_address_from_an_invitation_needs_confirmation(client, db, acme, last_token):
    org, admin = acme
    invite(db, org, admin)
    token = last_token("new@example.com", "/invite/")
    response = client.post(
        f"/register?invite={token}",
        data={
            "email": "other@example.com",
            "display_name": "Other",
            "password": "long enough pw",
            "confirm": "long enough pw",
        },
    )
    assert response.status_code == 200
    user = db.session.scalar(sa.select(User).where(User.email == "other@example.com"))
    assert user.confirmed_at is None
