"""Hostile input: XSS vectors through every user-written field of accounts and
organizations stay inert, and the naughty strings never cause a server error."""

import os

import pytest
import sqlalchemy as sa
from markupsafe import escape

from app.accounts import organizations, services
from app.accounts.models import Organization, User
from app.core.errors import DomainError
from app.extensions import db as _db
from tests.factories import make_org, make_user
from tests.hostile import naughty_strings, page_script_vectors_in, script_vectors_in, xss_vectors

OK_STATUSES = {200, 302, 400}

# Hundreds of commits per test: an in-memory SQLite database keeps them cheap. With
# TEST_DATABASE_URL set the tests run against PostgreSQL as usual (NUL bytes and all).
if not os.environ.get("TEST_DATABASE_URL"):
    pytestmark = pytest.mark.app_config(SQLALCHEMY_DATABASE_URI="sqlite://")


def test_xss_vectors_in_bio_are_sanitized_on_profile_page(client, db):
    user = make_user()
    db.session.commit()
    for vector in xss_vectors():
        services.update_profile(user, user, display_name=user.display_name, bio=vector)
        db.session.commit()
        assert script_vectors_in(user.bio_html) == [], vector
        page = client.get(f"/u/{user.username}")
        assert page.status_code == 200
        assert page_script_vectors_in(page.get_data(as_text=True)) == [], vector


def test_xss_vectors_as_display_name_are_escaped(client, db):
    user = make_user()
    db.session.commit()
    accepted = 0
    for vector in xss_vectors():
        try:
            services.update_profile(user, user, display_name=vector)
        except DomainError:
            _db.session.rollback()
            continue
        db.session.commit()
        accepted += 1
        page = client.get(f"/u/{user.username}").get_data(as_text=True)
        assert page_script_vectors_in(page) == [], vector
        assert str(escape(user.display_name)) in page
    assert accepted > 100


def _update_org_with(admin, org, vector: str) -> None:
    """Use the vector everywhere the service accepts it; fall back field by field."""
    base = {"partner_type": "msp", "tier": "gold", "description": vector, "regions": vector[:60]}
    for name, website in ((vector[:120], vector), (vector[:120], None), ("Fallback name", None)):
        try:
            organizations.update_organization(admin, org, name=name, website=website, **base)
            return
        except DomainError:
            _db.session.rollback()
    organizations.update_organization(admin, org, name="Fallback name", **{**base, "regions": ""})


def test_xss_vectors_in_organization_name_and_description_are_inert(client, db):
    admin = make_user(role="admin")
    org = make_org(slug="acme")
    make_user(organization=org, display_name="<b>Staff</b>")
    db.session.commit()
    for vector in xss_vectors():
        _update_org_with(admin, org, vector)
        db.session.commit()
        assert script_vectors_in(org.description_html) == [], vector
        for url in ("/o/acme", "/orgs"):
            page = client.get(url).get_data(as_text=True)
            assert page_script_vectors_in(page) == [], (url, vector)
            assert str(escape(org.name)) in page


def test_naughty_strings_through_register_never_fail(client, db):
    for n, text in enumerate(naughty_strings()):
        attempts = [
            {
                "email": f"n{n}@example.com",
                "display_name": text,
                "password": "long enough pw",
                "confirm": "long enough pw",
            },
            {
                "email": text,
                "display_name": f"Naughty {n}",
                "password": "long enough pw",
                "confirm": "long enough pw",
            },
            {"email": f"p{n}@example.com", "display_name": f"Pass {n}", "password": text, "confirm": text},
        ]
        for data in attempts:
            response = client.post("/register", data=data)
            assert response.status_code in OK_STATUSES, (data, response.status_code)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) > 0


def test_naughty_strings_through_profile_edit_never_fail(client, db, login_as):
    user = make_user()
    db.session.commit()
    login_as(user)
    fields = ("display_name", "job_title", "region", "country", "languages", "specialisms", "bio")
    for text in naughty_strings():
        response = client.post("/settings/profile", data=dict.fromkeys(fields, text))
        assert response.status_code in OK_STATUSES, (text, response.status_code)
        if response.status_code == 302:
            assert client.get(f"/u/{user.username}").status_code == 200


def test_naughty_strings_through_org_edit_never_fail(client, db, login_as):
    org = make_org(slug="acme")
    login_as(make_user(role="admin"))
    db.session.commit()
    fields = ("name", "regions", "specialisms", "industries", "website", "description")
    for text in naughty_strings():
        data = {**dict.fromkeys(fields, text), "partner_type": "msp", "tier": "gold"}
        response = client.post("/o/acme/edit", data=data)
        assert response.status_code in OK_STATUSES, (text, response.status_code)
        response = client.post("/o/acme/edit", data={**data, "website": ""})
        assert response.status_code in OK_STATUSES, (text, response.status_code)
        assert client.get("/o/acme").status_code == 200
    assert db.session.get(Organization, org.id).slug == "acme"


def test_naughty_strings_in_login_and_lookups_never_fail(client, db):
    for text in naughty_strings():
        assert client.post("/login", data={"email": text, "password": text}).status_code in OK_STATUSES
        assert client.post("/password/forgot", data={"email": text}).status_code in OK_STATUSES
        assert client.get("/u/" + text.replace("/", "")).status_code in {200, 404, 308}
