"""Plug-in panels on profile and organization pages (profile_panels / organization_panels)."""

import pytest

from tests.factories import make_org, make_user

WITH_PANELS = pytest.mark.app_config(PLUGINS=["tests.accounts.sample_panels_plugin"])


@WITH_PANELS
def test_profile_cards_come_in_order_with_their_titles_for_the_viewer(db, login_as):
    member, other = make_user(username="grace"), make_user(username="ada")
    db.session.commit()
    html = login_as(member).get("/u/ada").get_data(as_text=True)
    first, second = html.index(">First card</h2>"), html.index(">Second card</h2>")
    assert first < second
    assert "<p>profile of ada</p>" in html and f"<p>seen by {member.username}</p>" in html
    assert "untitled cards are dropped" not in html
    assert other.username == "ada"


@WITH_PANELS
def test_a_plugin_that_answers_nothing_adds_no_card(db, client):
    make_user(username="ada")
    db.session.commit()
    html = client.get("/u/ada").get_data(as_text=True)
    assert "plugin-panel" not in html and "First card" not in html


@WITH_PANELS
def test_organization_cards_escape_the_title(db, client):
    make_org(name="Acme", slug="acme")
    db.session.commit()
    html = client.get("/o/acme").get_data(as_text=True)
    assert ">Org card &lt;b&gt;</h2>" in html and "<p>org acme</p>" in html


@pytest.mark.app_config(PLUGINS=[])
def test_without_plugins_the_pages_have_no_cards(db, client):
    make_org(name="Acme", slug="acme")
    make_user(username="ada")
    db.session.commit()
    for url in ("/u/ada", "/o/acme"):
        response = client.get(url)
        assert response.status_code == 200 and "plugin-panel" not in response.get_data(as_text=True)
