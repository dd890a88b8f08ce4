"""Partner organizations: listing, pages, creation by admins, editing by org admins."""

import pytest
import sqlalchemy as sa

from app.accounts import organizations
from app.accounts.models import Organization
from app.core.errors import Invalid, PermissionDenied
from app.plugins import hookimpl
from tests.factories import make_org, make_user

ORG = {
    "name": "Acme Networks",
    "partner_type": "msp",
    "tier": "silver",
    "regions": "EMEA, APAC",
    "specialisms": "SD-WAN",
    "industries": "retail, health",
    "website": "https://acme.example",
    "description": "We *connect* things.",
}


def count_orgs(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Organization))


def test_admin_creates_organization_with_unique_slug(app, db):
    admin = make_user(role="admin")
    first = organizations.create_organization(admin, "Acme Networks", "msp", "gold")
    second = organizations.create_organization(admin, "ACME networks!", "reseller")
    assert first.slug == "acme-networks"
    assert second.slug == "acme-networks-2"
    assert second.tier == "registered"


def test_create_organization_fires_event(app, db):
    seen = []

    class Listener:
        @hookimpl
        def organization_created(self, organization, actor):
            seen.append((organization.name, actor.id))

    app.extensions["guildhall_plugins"].register(Listener())
    admin = make_user(role="admin")
    organizations.create_organization(admin, "Acme", "msp")
    assert seen == [("Acme", admin.id)]


def test_members_cannot_create_organizations(app, db):
    with pytest.raises(PermissionDenied):
        organizations.create_organization(make_user(), "Acme", "msp")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "A"}, "2 to 120"),
        ({"partner_type": "pirate"}, "partner type"),
        ({"tier": "diamond"}, "tier"),
        ({"website": "javascript:alert(1)"}, "http"),
        ({"website": "ftp://acme.example"}, "http"),
    ],
)
def test_create_organization_refuses_bad_input(app, db, change, message):
    values = {**ORG, **change}
    name, partner_type, tier = values.pop("name"), values.pop("partner_type"), values.pop("tier")
    with pytest.raises(Invalid, match=message):
        organizations.create_organization(make_user(role="admin"), name, partner_type, tier, **values)


def test_org_list_and_page(client, db):
    org = make_org(name="Acme Networks", slug="acme", partner_type="msp", website="https://acme.example")
    make_user(display_name="Staff Person", organization=org, job_title="Sales lead")
    db.session.commit()
    listing = client.get("/orgs")
    assert listing.status_code == 200
    assert b'href="/o/acme"' in listing.data
    page = client.get("/o/acme")
    assert page.status_code == 200
    for text in (
        b"Acme Networks",
        b"Managed service provider",
        b"Gold",
        b"EMEA",
        b"Staff Person",
        b"Sales lead",
    ):
        assert text in page.data
    assert b'href="https://acme.example"' in page.data


def test_org_page_does_not_link_unsafe_websites(client, db):
    make_org(slug="bad", website="javascript:alert(1)")
    db.session.commit()
    page = client.get("/o/bad")
    assert b"javascript:" not in page.data


def test_unknown_org_is_404(client):
    assert client.get("/o/nope").status_code == 404


def test_new_org_page_is_for_admins_only(client, db, login_as):
    assert client.get("/orgs/new").status_code == 302  # sign in first
    login_as(make_user())
    db.session.commit()
    assert client.get("/orgs/new").status_code == 403
    assert client.post("/orgs/new", data=ORG).status_code == 403
    assert count_orgs(db) == 0


def test_admin_creates_org_over_http(client, db, login_as):
    login_as(make_user(role="admin"))
    db.session.commit()
    assert client.get("/orgs/new").status_code == 200
    response = client.post("/orgs/new", data=ORG)
    assert response.status_code == 302
    assert response.headers["Location"] == "/o/acme-networks"
    org = db.session.scalars(sa.select(Organization)).one()
    assert org.regions == ["EMEA", "APAC"]
    assert org.description_html == "<p>We <em>connect</em> things.</p>\n"


@pytest.mark.parametrize(
    "change",
    [{"name": ""}, {"partner_type": "pirate"}, {"website": "javascript:alert(1)"}, {"regions": "x" * 61}],
)
def test_create_org_form_errors_write_nothing(client, db, login_as, change):
    login_as(make_user(role="admin"))
    db.session.commit()
    assert client.post("/orgs/new", data={**ORG, **change}).status_code == 400
    assert count_orgs(db) == 0


def test_org_admin_edits_own_org(client, db, login_as):
    org = make_org(slug="acme", name="Acme")
    login_as(make_user(organization=org, is_org_admin=True))
    db.session.commit()
    form = client.get("/o/acme/edit")
    assert form.status_code == 200
    assert b'value="Acme"' in form.data
    response = client.post("/o/acme/edit", data={**ORG, "name": "Acme Renamed"})
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.name == "Acme Renamed"
    assert org.slug == "acme"


def test_edit_refused_for_other_orgs_staff_and_plain_members(client, db, login_as):
    org, other = make_org(slug="acme"), make_org()
    plain = make_user(organization=org)
    foreign_admin = make_user(organization=other, is_org_admin=True)
    db.session.commit()
    for user in (plain, foreign_admin):
        login_as(user)
        assert client.get("/o/acme/edit").status_code == 403
        assert client.post("/o/acme/edit", data=ORG).status_code == 403
    db.session.refresh(org)
    assert org.name != ORG["name"]


def test_edit_org_bad_input_writes_nothing(client, db, login_as):
    org = make_org(slug="acme", name="Acme")
    login_as(make_user(role="admin"))
    db.session.commit()
    assert client.post("/o/acme/edit", data={**ORG, "tier": "diamond"}).status_code == 400
    db.session.refresh(org)
    assert org.name == "Acme"
