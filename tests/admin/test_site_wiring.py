"""Where the admin area meets the rest of the site: the user menu's link, the accent
colour in /theme.css, and organization admins who are not site admins."""

from __future__ import annotations

import pytest

from app.core import settings
from tests.factories import make_org, make_user


def test_the_user_menu_links_the_admin_area_for_admins_only(db, login_as, admin, moderator):
    assert 'href="/admin/">Admin</a>' in login_as(admin).get("/").get_data(as_text=True)
    assert 'href="/admin/">Admin</a>' not in login_as(moderator).get("/").get_data(as_text=True)


def test_the_accent_colour_an_admin_saves_is_served_by_theme_css(db, login_as, admin):
    client = login_as(admin)
    before = client.get("/theme.css").get_data(as_text=True)
    assert "--gh-link-light: #3a5ccc" in before
    client.post("/admin/settings", data={"accent_color": "#2a6e3f", "registration_mode": "open"})
    css = client.get("/theme.css").get_data(as_text=True)
    assert "--gh-link-light: #2a6e3f" in css


def test_the_environment_accent_wins_over_the_admins_choice(db, login_as, admin, monkeypatch):
    login_as(admin).post("/admin/settings", data={"accent_color": "#2a6e3f"})
    monkeypatch.setenv("SITE_ACCENT_COLOR", "#7a1f5c")
    settings.clear_cache()
    assert "--gh-link-light: #7a1f5c" in login_as(admin).get("/theme.css").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/admin/organizations", "/admin/organizations/{other}", "/admin/users"])
def test_an_organization_admin_is_not_a_site_admin(db, login_as, path):
    own, other = make_org(name="Own"), make_org(name="Other")
    org_admin = make_user(username="orgboss", organization=own, is_org_admin=True)
    db.session.commit()
    assert login_as(org_admin).get(path.format(other=other.id)).status_code == 403


def test_default_notification_preferences_apply_to_members_who_never_chose(db, admin, member):
    from app.core.settings import update_settings
    from app.notifications.services import preferences_for, update_preferences

    defaults = {
        "email_replies": False,
        "email_mentions": True,
        "notify_likes": False,
        "notify_watching": True,
    }
    update_settings(admin, {"notification_defaults": defaults})
    db.session.commit()
    prefs = preferences_for(member)
    assert (prefs.email_replies, prefs.email_mentions, prefs.notify_likes) == (False, True, False)
    # Changing one preference stores the rest as the defaults were.
    stored = update_preferences(member, notify_likes=True)
    assert (stored.email_replies, stored.notify_likes, stored.notify_watching) == (False, True, True)
