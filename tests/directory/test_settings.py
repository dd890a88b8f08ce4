"""A member's directory settings (/settings/directory) and the profile panel that shows
certifications, industries and custom fields on /u/<username>."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.errors import Invalid, PermissionDenied
from app.directory import profiles
from app.directory.models import DirectoryProfile, ProfileFieldValue
from app.extensions import db
from tests.directory.conftest import add_field, count
from tests.factories import make_user


def values_of(user) -> dict[str, object]:
    rows = db.session.scalars(sa.select(ProfileFieldValue).where(ProfileFieldValue.user_id == user.id))
    return {row.field.key: (row.value, row.hidden) for row in rows}


# --- service ----------------------------------------------------------------------------------------


def test_saving_settings_stores_everything(db, alice):
    add_field("cloud", kind="multi")
    add_field("site", kind="url")
    profiles.update_directory_settings(
        alice, alice, hidden_fields=["country", "languages"], certifications="CCNA, ccna,  AWS SA ",
        industries="retail", values={"cloud": ["GCP", "AWS"], "site": "https://alice.example"},
        hidden_values=["site"],
    )  # fmt: skip
    db.session.commit()
    profile = db.session.get(DirectoryProfile, alice.id)
    assert profile.hidden_fields == ["country", "languages"]
    assert profile.certifications == ["CCNA", "AWS SA"]
    assert profile.industries == ["retail"]
    assert values_of(alice) == {"cloud": (["AWS", "GCP"], False), "site": ("https://alice.example", True)}


def test_clearing_a_value_deletes_it(db, alice):
    add_field("cloud", kind="choice")
    profiles.update_directory_settings(alice, alice, values={"cloud": "AWS"})
    profiles.update_directory_settings(alice, alice, values={"cloud": ""})
    db.session.commit()
    assert values_of(alice) == {}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hidden_fields": ["password_hash"]}, "not a field you can hide"),
        ({"values": {"nosuch": "x"}}, "no profile field"),
        ({"hidden_values": ["nosuch"]}, "no profile field"),
        ({"values": {"cloud": "Oracle"}}, "from the list"),
        ({"values": {"cloud": "AWS", "site": "javascript:alert(1)"}}, "http"),
        ({"values": {"site": "https://ok.example"}}, "Cloud is required"),
        ({"certifications": ",".join(f"c{n}" for n in range(21))}, "at most 20"),
        ({"industries": "x" * 61}, "at most 60"),
    ],
)
def test_bad_settings_are_refused_and_write_nothing(db, alice, changes, message):
    add_field("cloud", kind="choice", required=True, label="Cloud")
    add_field("site", kind="url")
    before = (count(DirectoryProfile), count(ProfileFieldValue))
    values = {"values": {"cloud": "AWS"}, **changes}
    with pytest.raises(Invalid, match=message):
        profiles.update_directory_settings(alice, alice, **values)
    db.session.rollback()
    assert (count(DirectoryProfile), count(ProfileFieldValue)) == before


def test_members_edit_only_their_own_settings(db, alice, bob):
    with pytest.raises(PermissionDenied):
        profiles.update_directory_settings(bob, alice, hidden=True)


# --- the page --------------------------------------------------------------------------------------


def test_settings_page_needs_sign_in(client):
    response = client.get("/settings/directory")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_settings_page_saves_and_shows_settings(client, sign_in, alice):
    add_field("cloud", kind="multi", label="Cloud platforms")
    add_field("level", kind="choice", choices=("Junior", "Senior"), label="Level")
    sign_in(alice)
    page = client.get("/settings/directory")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Cloud platforms" in html and 'name="cf_cloud"' in html and 'name="hide_level"' in html
    response = client.post(
        "/settings/directory",
        data={
            "hidden_fields": ["region"], "certifications": "CCNA", "industries": "retail, energy",
            "cf_cloud": ["AWS", "GCP"], "cf_level": "Senior", "hide_level": "y",
        },
    )  # fmt: skip
    assert response.status_code == 302
    assert values_of(alice) == {"cloud": (["AWS", "GCP"], False), "level": ("Senior", True)}
    html = client.get("/settings/directory").get_data(as_text=True)
    assert 'value="CCNA"' in html and 'value="retail, energy"' in html
    assert '<input checked id="hidden_fields-1" name="hidden_fields" type="checkbox" value="region">' in html


def test_required_fields_are_enforced_on_the_page(client, sign_in, alice):
    add_field("cloud", kind="choice", required=True, label="Cloud")
    sign_in(alice)
    response = client.post("/settings/directory", data={"certifications": "CCNA", "cf_cloud": ""})
    assert response.status_code == 400
    assert "Cloud is required" in response.get_data(as_text=True)
    assert count(DirectoryProfile) == 0


@pytest.mark.parametrize(
    "data",
    [
        {"cf_cloud": "Oracle"},
        {"cf_cloud": "AWS", "hidden_fields": ["email"]},
        {"cf_cloud": "AWS", "certifications": "x" * 2001},
        {"cf_cloud": "AWS", "cf_site": "not a url"},
    ],
)
def test_bad_input_on_the_page_is_a_400_and_writes_nothing(client, sign_in, alice, data):
    add_field("cloud", kind="choice")
    add_field("site", kind="url")
    sign_in(alice)
    assert client.post("/settings/directory", data=data).status_code == 400
    assert (count(DirectoryProfile), count(ProfileFieldValue)) == (0, 0)


def test_hostile_settings_are_stored_as_text_and_escaped(client, sign_in, alice, hostile):
    from tests.hostile import naughty_strings, page_script_vectors_in, xss_vectors

    add_field("motto", kind="text", visibility="everyone", label="Motto")
    sign_in(alice)
    samples = [s for s in xss_vectors(30) + naughty_strings()[:120:6] if s.strip()]
    for text in samples:
        response = client.post(
            "/settings/directory",
            data={"certifications": text[:60].replace(",", " "), "cf_motto": text[:200]},
        )
        assert response.status_code in (302, 400), text
        for url in ("/settings/directory", f"/u/{alice.username}", "/directory", "/directory?q=x"):
            html = client.get(url).get_data(as_text=True)
            assert page_script_vectors_in(html) == [], (text, url)


# --- the profile panel ----------------------------------------------------------------------------


def panel_html(client, user) -> str:
    response = client.get(f"/u/{user.username}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_profile_panel_shows_fields_by_visibility(client, sign_in, alice, member, moderator):
    everyone = add_field("cloud", kind="choice", visibility="everyone", label="Cloud")
    members = add_field("rate", kind="text", visibility="members", label="Day rate")
    staff = add_field("vetting", kind="text", visibility="staff", label="Vetting")
    profiles.update_directory_settings(
        alice, alice, certifications="CCNA",
        values={everyone.key: "AWS", members.key: "900 EUR", staff.key: "cleared"},
    )  # fmt: skip
    db.session.commit()
    visitor = panel_html(client, alice)
    assert "CCNA" in visitor and "AWS" in visitor
    assert "900 EUR" not in visitor and "cleared" not in visitor
    sign_in(member)
    signed_in = panel_html(client, alice)
    assert "900 EUR" in signed_in and "cleared" not in signed_in
    sign_in(moderator)
    assert "cleared" in panel_html(client, alice)
    sign_in(alice)
    own = panel_html(client, alice)
    assert "cleared" in own and "Directory settings" in own


def test_hidden_values_show_only_to_the_member_and_staff(client, sign_in, alice, bob, moderator):
    add_field("cloud", kind="choice", visibility="everyone", label="Cloud")
    profiles.update_directory_settings(
        alice, alice, certifications="CCNA", industries="retail", hidden_fields=["certifications"],
        values={"cloud": "GCP"}, hidden_values=["cloud"],
    )  # fmt: skip
    db.session.commit()
    for viewer in (None, bob):
        sign_in(viewer)
        html = panel_html(client, alice)
        assert "GCP" not in html and "CCNA" not in html
        assert "retail" in html
    for viewer in (alice, moderator):
        sign_in(viewer)
        html = panel_html(client, alice)
        assert "GCP" in html and "CCNA" in html and "hidden from the directory" in html


def test_no_panel_without_directory_details(client, alice):
    assert "More about" not in panel_html(client, alice)


def test_panel_through_the_hook_without_the_page(app, alice, member):
    from app.web import _panel

    add_field("cloud", kind="choice", visibility="members", label="Cloud")
    profiles.update_directory_settings(alice, alice, values={"cloud": "AWS"})
    db.session.commit()
    with app.test_request_context():
        assert "AWS" in str(_panel("profile_main", user=alice, viewer=member))
        assert str(_panel("profile_main", user=alice, viewer=None)) == ""
        assert str(_panel("profile_sidebar", user=alice, viewer=member)).count("AWS") == 0


def test_url_values_render_as_safe_links(client, alice):
    add_field("site", kind="url", visibility="everyone", label="Website")
    profiles.update_directory_settings(alice, alice, values={"site": "https://alice.example/?a=1&b=<2>"})
    db.session.commit()
    html = panel_html(client, alice)
    assert 'href="https://alice.example/?a=1&amp;b=&lt;2&gt;"' in html
    assert 'rel="nofollow ugc noopener noreferrer"' in html


def test_profile_edit_page_links_to_directory_settings(client, sign_in, alice):
    sign_in(alice)
    assert 'href="/settings/directory"' in client.get("/settings/profile").get_data(as_text=True)


def test_other_members_directory_data_is_not_created_by_viewing(client, alice):
    make_user()
    db.session.commit()
    client.get("/directory")
    client.get(f"/u/{alice.username}")
    assert count(DirectoryProfile) == 0
