"""Site settings: defaults, validation, storage, the per-process cache and the
environment's overrides (app/core/settings.py)."""

from __future__ import annotations

import pytest

from app.core import settings
from app.core.errors import Invalid, PermissionDenied
from app.core.settings import SiteSetting, get_setting, site_settings, update_settings


def test_every_setting_has_its_default_when_nothing_is_stored(db):
    values = site_settings().values
    assert values["registration_mode"] == "open"
    assert values["partner_member_rule"] == "confirmed_in_org"
    assert values["organization_creation"] is False
    assert values["logo_upload_id"] is None
    assert values["notification_defaults"]["email_replies"] is True


@pytest.mark.app_config(SITE_NAME="Partner Hall", SITE_ACCENT_COLOR="#0a7")
def test_the_config_values_are_the_defaults_of_site_name_and_accent(db):
    assert get_setting("site_name") == "Partner Hall"
    assert get_setting("accent_color") == "#0a7"


def test_an_admin_stores_a_setting_and_it_is_read_back(db, admin):
    changes = update_settings(admin, {"site_name": "  Acme   Partners ", "accent_color": "#AABBCC"})
    db.session.commit()
    assert changes == {"site_name": ("Guildhall", "Acme Partners"), "accent_color": ("#3a5ccc", "#aabbcc")}
    assert get_setting("site_name") == "Acme Partners"
    row = db.session.get(SiteSetting, "accent_color")
    assert row.value == "#aabbcc" and row.updated_by_id == admin.id


def test_a_moderator_cannot_change_settings(db, moderator):
    with pytest.raises(PermissionDenied):
        update_settings(moderator, {"site_name": "Mine"})
    assert db.session.get(SiteSetting, "site_name") is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("accent_color", "red"),
        ("accent_color", "#12345"),
        ("registration_mode", "everyone"),
        ("partner_member_rule", "anyone"),
        ("registration_domains", "not a domain"),
        ("logo_upload_id", "-3"),
        ("logo_upload_id", "٣"),
        ("site_name", "   "),
        ("site_name", "x" * 81),
        ("organization_creation", "perhaps"),
        ("notification_defaults", {"email_spam": True}),
        ("no_such_setting", "x"),
    ],
)
def test_bad_values_are_refused_naming_the_field_and_nothing_is_written(db, admin, key, value):
    with pytest.raises(Invalid) as error:
        update_settings(admin, {"site_name": "Fine", key: value})
    assert error.value.field == key
    assert db.session.get(SiteSetting, "site_name") is None


def test_domain_registration_needs_at_least_one_domain(db, admin):
    with pytest.raises(Invalid) as error:
        update_settings(admin, {"registration_mode": "domains", "registration_domains": ""})
    assert error.value.field == "registration_domains"
    update_settings(
        admin, {"registration_mode": "domains", "registration_domains": "Acme.com, @acme.de\nacme.com"}
    )
    db.session.commit()
    assert get_setting("registration_domains") == ["acme.com", "acme.de"]


def test_the_cache_serves_reads_without_a_query_until_a_write_commits(db, admin, app):
    app.config["SETTINGS_CACHE_SECONDS"] = 3600
    assert get_setting("site_name") == "Guildhall"
    # Written behind the service's back (as another process would): the cache still answers.
    db.session.add(SiteSetting(key="site_name", value="Elsewhere"))
    db.session.commit()
    assert get_setting("site_name") == "Guildhall"
    # A write through the service clears this process's copy when it commits, not before.
    update_settings(admin, {"accent_color": "#112233"})
    assert get_setting("accent_color") == "#3a5ccc"
    db.session.commit()
    assert get_setting("accent_color") == "#112233"
    assert get_setting("site_name") == "Elsewhere"


def test_a_rolled_back_write_leaves_the_cache_alone(db, admin, app):
    app.config["SETTINGS_CACHE_SECONDS"] = 3600
    update_settings(admin, {"site_name": "Never"})
    db.session.rollback()
    assert get_setting("site_name") == "Guildhall"


def test_another_process_write_shows_once_the_cache_expires(db, app):
    app.config["SETTINGS_CACHE_SECONDS"] = 0
    assert get_setting("site_name") == "Guildhall"
    db.session.add(SiteSetting(key="site_name", value="Elsewhere"))
    db.session.commit()
    assert get_setting("site_name") == "Elsewhere"


def test_an_environment_variable_wins_over_the_stored_row(db, admin, monkeypatch):
    db.session.add(SiteSetting(key="registration_mode", value="open"))
    db.session.commit()
    monkeypatch.setenv("GUILDHALL_SETTING_REGISTRATION_MODE", "invitation")
    monkeypatch.setenv("GUILDHALL_SETTING_ORGANIZATION_CREATION", "true")
    monkeypatch.setenv("SITE_NAME", "From Env")
    settings.clear_cache()
    current = site_settings()
    assert current.registration_mode == "invitation"
    assert current.organization_creation is True
    assert current.site_name == "From Env"
    assert {"registration_mode", "organization_creation", "site_name"} <= current.from_env


def test_a_pinned_setting_cannot_be_changed_from_the_app(db, admin, monkeypatch):
    monkeypatch.setenv("GUILDHALL_SETTING_ACCENT_COLOR", "#000000")
    settings.clear_cache()
    with pytest.raises(Invalid, match="set by the environment") as error:
        update_settings(admin, {"accent_color": "#ffffff"})
    assert error.value.field == "accent_color"


def test_a_bad_environment_value_names_the_variable(db, monkeypatch):
    monkeypatch.setenv("GUILDHALL_SETTING_ACCENT_COLOR", "blue")
    settings.clear_cache()
    with pytest.raises(RuntimeError, match="GUILDHALL_SETTING_ACCENT_COLOR"):
        site_settings()


def test_templates_can_read_the_site_settings(app, db, admin):
    update_settings(admin, {"site_name": "Acme Partners"})
    db.session.commit()
    assert app.jinja_env.from_string("{{ site.site_name }}").render() == "Acme Partners"


@pytest.mark.app_config(PAGE_CACHE_SECONDS=300, SETTINGS_CACHE_SECONDS=3600)
def test_with_the_page_cache_on_a_write_by_another_process_shows_at_once(db, app):
    assert get_setting("site_name") == "Guildhall"
    # Another process's write bumps the page cache's shared generation when it commits.
    db.session.add(SiteSetting(key="site_name", value="Elsewhere"))
    db.session.commit()
    assert get_setting("site_name") == "Elsewhere"
