"""The directory over HTTP: pages, JSON, shareable URLs, bad input and the nav item."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest

from app.directory.models import DirectoryFacet
from tests.directory.conftest import add_field, count, get_json
from tests.qa.conftest import grant_reputation


def test_directory_page_shows_people_with_facets(client, world):
    response = client.get("/directory")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in ("Alice Archer", "Bob Baker", "Carol Cho", "Acme Networks", "Partner Manager", "Reseller"):
        assert text in html
    assert "Hidden Harriet" not in html and "Sue Spended" not in html
    assert 'href="/directory?region=EMEA"' in html  # a facet link
    assert 'href="/u/alice"' in html


def test_organizations_tab(client, world):
    html = client.get("/directory?show=orgs").get_data(as_text=True)
    assert "Acme Networks" in html and "Beta Distribution" in html
    assert "Alice Archer" not in html
    assert 'href="/directory?show=orgs&amp;region=APAC"' in html


def test_tabs_keep_the_filters_both_tabs_share(client, world):
    html = client.get("/directory?region=EMEA&language=English&q=a").get_data(as_text=True)
    assert 'href="/directory?show=orgs&amp;q=a&amp;region=EMEA"' in html


def test_selected_filters_are_marked_and_removable(client, world):
    html = client.get("/directory?region=EMEA").get_data(as_text=True)
    assert 'href="/directory" aria-current="true"' in html  # clicking EMEA again removes it
    assert "Clear region" in html


def test_pagination_links_keep_the_filters(client, world):
    html = client.get("/directory?region=EMEA&per_page=1").get_data(as_text=True)
    assert 'href="/directory?region=EMEA&amp;per_page=1&amp;page=2" rel="next"' in html
    html = client.get("/directory?region=EMEA&per_page=1&page=2").get_data(as_text=True)
    assert "Carol Cho" in html and "Alice Archer" not in html
    assert 'href="/directory?region=EMEA&amp;per_page=1" rel="prev"' in html


def test_json_has_results_facets_and_links(client, world):
    grant_reputation(world["alice"], 7)
    status, data = get_json(client, "/directory.json?region=EMEA&per_page=1")
    assert status == 200
    assert (data["total"], data["pages"], data["page"], data["per_page"]) == (2, 2, 1, 1)
    assert data["filters"] == {"region": ["EMEA"]}
    alice = data["results"][0]
    assert alice["username"] == "alice" and alice["reputation"] == 7
    assert alice["organization"]["slug"] == "acme" and alice["languages"] == ["English", "French"]
    assert alice["industries"] == ["retail"]  # her organization's, as the industry filter matches
    assert data["links"]["next"] == "/directory.json?region=EMEA&per_page=1&page=2"
    assert data["links"]["page"] == "/directory?region=EMEA&per_page=1"
    region = next(group for group in data["facets"] if group["name"] == "region")
    assert {"value": "EMEA", "label": "EMEA", "count": 2, "selected": True} in region["values"]


def test_json_for_organizations(client, world):
    status, data = get_json(client, "/directory.json?show=orgs&tier=gold")
    assert status == 200
    assert [org["slug"] for org in data["results"]] == ["acme"]
    assert data["results"][0]["members"] == 1


def test_shareable_urls_round_trip(client, world):
    add_field("cloud", kind="multi", visibility="everyone")
    params = [("q", "b"), ("region", "APAC"), ("region", "EMEA"), ("cf.cloud", "AWS"), ("sort", "reputation")]
    status, data = get_json(client, "/directory.json?" + urlencode(params))
    assert status == 200
    self_link = data["links"]["self"]
    assert self_link == "/directory.json?" + urlencode(params)
    again = client.get(self_link).get_json()
    assert again["filters"] == data["filters"] and again["results"] == data["results"]


@pytest.mark.parametrize(
    "query",
    [
        "colour=red",
        "tier=diamond",
        "region=Nowhere",
        "sort=sideways",
        "per_page=abc",
        "per_page=0",
        "page=5",
        "per_page=1000",
        "show=all",
        "show=orgs&certification=CCNA",
        "cf.secret=x",
        "q=" + "x" * 300,
        "region=" + quote("\x00"),
        "role=member",
    ],
)
def test_bad_queries_answer_400_with_a_message(client, world, query):
    before = count(DirectoryFacet)
    page = client.get(f"/directory?{query}")
    assert page.status_code == 400
    assert 'role="alert"' in page.get_data(as_text=True)
    status, data = get_json(client, f"/directory.json?{query}")
    assert status == 400 and data["error"]
    assert count(DirectoryFacet) == before


def test_naughty_query_strings_never_fail(client, world, hostile):
    from tests.hostile import naughty_strings, page_script_vectors_in, xss_vectors

    for text in naughty_strings()[:120] + xss_vectors(20):
        for name in ("q", "region", "page", text[:40] or "x"):
            response = client.get("/directory?" + urlencode({name: text}))
            assert response.status_code in (200, 400), (name, text)
            assert page_script_vectors_in(response.get_data(as_text=True)) == [], (name, text)
        assert client.get("/directory.json?" + urlencode({"q": text})).status_code in (200, 400)


def test_nav_has_a_directory_link(client):
    assert 'href="/directory">Directory</a>' in client.get("/directory").get_data(as_text=True)


def test_admins_see_export_and_field_links(client, sign_in, world, admin, member):
    assert "Export as CSV" not in client.get("/directory").get_data(as_text=True)
    sign_in(member)
    html = client.get("/directory").get_data(as_text=True)
    assert "Export as CSV" not in html and "My directory settings" in html
    sign_in(admin)
    html = client.get("/directory?region=EMEA").get_data(as_text=True)
    assert 'href="/directory/export.csv?region=EMEA"' in html and 'href="/admin/directory/fields"' in html
