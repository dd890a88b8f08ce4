"""Who may open the admin area: admins only; visitors are sent to sign in."""

from __future__ import annotations

import pytest

ADMIN_PAGES = [
    "/admin/",
    "/admin/users",
    "/admin/organizations",
    "/admin/organizations/new",
    "/admin/settings",
    "/admin/email",
    "/admin/plugins",
    "/admin/audit",
    "/admin/audit.csv",
    "/admin/charts/posts-30.svg",
]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_visitor_is_sent_to_sign_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_moderator_cannot_open_admin_only_pages(db, login_as, moderator, path):
    assert login_as(moderator).get(path).status_code == 403


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_member_cannot_open_admin_pages(db, login_as, member, path):
    assert login_as(member).get(path).status_code == 403


def test_a_moderator_cannot_post_admin_actions(db, login_as, moderator, member):
    client = login_as(moderator)
    assert client.post(f"/admin/users/{member.username}/role", data={"role": "admin"}).status_code == 403
    assert client.post("/admin/settings", data={"site_name": "Taken"}).status_code == 403
    assert member.role == "member"


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_an_admin_opens_every_admin_page(db, login_as, admin, path):
    assert login_as(admin).get(path).status_code == 200


def test_every_admin_page_shares_the_admin_navigation(db, login_as, admin):
    html = login_as(admin).get("/admin/users").get_data(as_text=True)
    assert 'aria-label="Admin"' in html
    for link in (
        "/admin/",
        "/admin/users",
        "/admin/organizations",
        "/admin/categories",
        "/qa/admin/settings",
        "/admin/directory/fields",
        "/admin/settings",
        "/admin/email",
        "/admin/plugins",
        "/admin/audit",
    ):
        assert f'href="{link}"' in html
    assert 'href="/admin/users" aria-current="page"' in html


def test_a_plugin_adds_its_page_to_the_admin_navigation(app, db, login_as, admin):
    from app.plugins import hookimpl, plugin_manager

    class Extra:
        @hookimpl
        def admin_pages(self, actor):
            return [{"label": "Councils admin", "endpoint": "admin.plugins", "permission": "admin.plugins"}]

    plugin_manager().register(Extra(), name="extra-admin")
    html = login_as(admin).get("/admin/").get_data(as_text=True)
    assert "Councils admin" in html
