"""Countries are stored as ISO 3166-1 codes and shown by name: the directory's country
filter lists one entry per place with its name, and text search finds a member by the
country's name as well as its code."""

from __future__ import annotations

from app.directory.listing_query import value_label
from tests.directory.conftest import get_json, refresh
from tests.factories import make_user


def test_the_country_filter_is_labelled_with_the_countrys_name():
    assert value_label("country", "IE") == "Ireland"
    assert value_label("country", "Atlantis") == "Atlantis"  # typed before the list: as typed


def test_members_with_the_same_country_share_one_filter_entry_named_for_it(client, sign_in, member, db):
    make_user(display_name="Orla Byrne", country="IE", region="EMEA")
    make_user(display_name="Sean Walsh", country="IE", region="EMEA")
    refresh()
    sign_in(member)
    page = client.get("/directory").get_data(as_text=True)
    assert "Ireland" in page
    assert ">IE<" not in page
    status, found = get_json(client, "/directory.json?country=IE")
    assert status == 200
    names = sorted(person["name"] for person in found["results"])
    assert names == ["Orla Byrne", "Sean Walsh"]


def test_text_search_finds_a_member_by_the_countrys_name(client, sign_in, member, db):
    make_user(display_name="Orla Byrne", country="IE", region="EMEA")
    refresh()
    sign_in(member)
    status, found = get_json(client, "/directory.json?q=ireland")
    assert status == 200
    assert [person["name"] for person in found["results"]] == ["Orla Byrne"]


def test_site_search_finds_a_member_by_the_countrys_name(app, db):
    from app.search import services as search_service
    from app.search.rebuild import reindex

    make_user(display_name="Orla Byrne", country="IE", region="EMEA")
    db.session.commit()
    reindex(app)
    assert search_service.search(None, "Ireland", kinds=["member"]).total == 1
