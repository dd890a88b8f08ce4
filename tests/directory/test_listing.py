"""The listing service: every filter for people and organizations, facet counts,
sorting, pagination, free text and the query string's round trip."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl

import pytest
from werkzeug.datastructures import MultiDict

from app.accounts.models import Anonymous
from app.core.db import utcnow
from app.core.errors import Invalid
from app.directory import listing
from app.directory.listing_query import DirectoryQuery, parse_query
from app.extensions import db
from tests.directory.conftest import add_field, hide, names, refresh, set_value
from tests.factories import make_org, make_post, make_topic, make_user
from tests.qa.conftest import grant_reputation

VISITOR = Anonymous()


def browse(query: str = "", reader=VISITOR):
    args = MultiDict(parse_qsl(query, keep_blank_values=True))
    return listing.browse(reader, parse_query(reader, args))


def facet(page, name: str) -> dict[str, int]:
    for group in page.facets:
        if group.name == name:
            return {value.value: value.count for value in group.values}
    return {}


# --- who is listed --------------------------------------------------------------------------


def test_lists_confirmed_members_sorted_by_name(world):
    assert names(browse()) == ["Alice Archer", "Bob Baker", "Carol Cho"]


def test_unconfirmed_suspended_and_hidden_members_are_not_listed(world):
    listed = names(browse("per_page=100"))
    assert not {"Una Confirmed", "Sue Spended", "Hidden Harriet"} & set(listed)


def test_a_suspension_that_has_ended_lists_the_member_again_without_any_event(world):
    world["suspended"].suspended_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert "Sue Spended" in names(browse())


# --- people filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("partner_type=reseller", ["Alice Archer"]),
        ("partner_type=distributor", ["Bob Baker"]),
        ("tier=gold", ["Alice Archer"]),
        ("tier=silver", ["Bob Baker"]),
        ("region=EMEA", ["Alice Archer", "Carol Cho"]),
        ("country=Singapore", ["Bob Baker"]),
        ("language=French", ["Alice Archer"]),
        ("language=English", ["Alice Archer", "Bob Baker"]),
        ("specialism=security", ["Alice Archer", "Carol Cho"]),
        ("industry=retail", ["Alice Archer"]),
        ("industry=finance", ["Bob Baker"]),
        ("role=mentor", ["Carol Cho"]),
    ],
)
def test_each_people_filter(world, query, expected):
    assert names(browse(query)) == expected


def test_certification_and_personal_industry_filters(world):
    hide(world["carol"], certifications=["CCNP"], industries=["healthcare"])
    refresh()
    assert names(browse("certification=CCNP")) == ["Carol Cho"]
    assert names(browse("industry=healthcare")) == ["Carol Cho"]


def test_role_filter_knows_moderators_and_admins(world, moderator, admin):
    refresh()
    assert names(browse("role=moderator")) == ["Mo Derator"]
    assert names(browse("role=admin")) == ["Ada Admin"]
    assert names(browse("role=moderator&role=admin")) == ["Ada Admin", "Mo Derator"]


def test_values_of_one_filter_are_ored_and_filters_are_anded(world):
    assert names(browse("country=France&country=Singapore")) == ["Alice Archer", "Bob Baker"]
    assert names(browse("region=EMEA&specialism=security")) == ["Alice Archer", "Carol Cho"]
    assert names(browse("region=EMEA&specialism=security&language=French")) == ["Alice Archer"]
    assert names(browse("region=APAC&specialism=security")) == []


def test_custom_choice_fields_filter_people(world):
    cloud = add_field("cloud", kind="multi", visibility="everyone")
    set_value(world["alice"], cloud, ["AWS", "Azure"])
    set_value(world["bob"], cloud, ["GCP"])
    refresh()
    assert names(browse("cf.cloud=Azure")) == ["Alice Archer"]
    assert names(browse("cf.cloud=Azure&cf.cloud=GCP")) == ["Alice Archer", "Bob Baker"]
    assert facet(browse(), "cf.cloud") == {"AWS": 1, "Azure": 1, "GCP": 1}


# --- organization filters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("show=orgs", ["Acme Networks", "Beta Distribution"]),
        ("show=orgs&partner_type=distributor", ["Beta Distribution"]),
        ("show=orgs&tier=gold", ["Acme Networks"]),
        ("show=orgs&region=EMEA", ["Acme Networks", "Beta Distribution"]),
        ("show=orgs&region=APAC", ["Beta Distribution"]),
        ("show=orgs&specialism=networking", ["Acme Networks"]),
        ("show=orgs&industry=finance", ["Beta Distribution"]),
        ("show=orgs&tier=gold&tier=silver&industry=retail", ["Acme Networks"]),
    ],
)
def test_each_organization_filter(world, query, expected):
    assert names(browse(query)) == expected


def test_organization_cards_count_only_listed_members(world):
    cards = {card.org.name: card.members for card in browse("show=orgs").items}
    assert cards == {"Acme Networks": 1, "Beta Distribution": 1}  # Acme's ghosts are not counted


# --- facet counts ---------------------------------------------------------------------------------


def test_facet_counts_count_listed_members_only(world):
    page = browse()
    assert facet(page, "region") == {"EMEA": 2, "APAC": 1}
    assert facet(page, "specialism") == {"networking": 1, "security": 2, "cloud": 1}
    assert "Atlantis" not in facet(page, "country")  # the hidden member's country


def test_facet_counts_apply_the_other_filters_but_not_their_own(world):
    page = browse("region=EMEA")
    assert facet(page, "region") == {"EMEA": 2, "APAC": 1}  # choosing APAC would add Bob
    assert facet(page, "language") == {"English": 1, "French": 1, "German": 1}
    assert facet(page, "role") == {"mentor": 1}
    selected = [v for g in page.facets for v in g.values if v.selected]
    assert [(v.value, v.count) for v in selected] == [("EMEA", 2)]


def test_counts_match_the_results_a_value_would_give(world):
    page = browse("specialism=security")
    for value, count in facet(page, "country").items():
        assert len(browse(f"specialism=security&country={value}").items) == count


def test_organization_facets(world):
    page = browse("show=orgs")
    assert facet(page, "region") == {"EMEA": 2, "APAC": 1}
    assert facet(page, "partner_type") == {"reseller": 1, "distributor": 1}
    assert "language" not in {group.name for group in page.facets}


def test_facet_labels_are_readable(world):
    labels = {
        v.value: v.label for g in browse().facets if g.name in ("partner_type", "tier") for v in g.values
    }
    assert labels["reseller"] == "Reseller" and labels["gold"] == "Gold"


# --- sorting ------------------------------------------------------------------------------------


def test_sort_by_reputation(world):
    grant_reputation(world["bob"], 50)
    grant_reputation(world["carol"], 20)
    db.session.commit()
    assert names(browse("sort=reputation")) == ["Bob Baker", "Carol Cho", "Alice Archer"]
    assert [card.reputation for card in browse("sort=reputation").items] == [50, 20, 0]


def test_sort_by_recent_activity_uses_last_sign_in_or_last_post(world):
    world["alice"].last_seen_at = utcnow() - timedelta(days=5)
    world["bob"].last_seen_at = utcnow() - timedelta(days=1)
    topic = make_topic(author=world["carol"])  # Carol posts now; never signed in
    db.session.commit()
    assert topic.id
    assert names(browse("sort=activity")) == ["Carol Cho", "Bob Baker", "Alice Archer"]


def test_activity_in_a_category_the_reader_cannot_see_does_not_count(world):
    from tests.factories import make_category

    private = make_category(view_policy="moderator,admin")
    world["alice"].last_seen_at = utcnow() - timedelta(days=5)
    world["bob"].last_seen_at = utcnow() - timedelta(days=1)
    make_topic(author=world["alice"], category=private)
    db.session.commit()
    assert names(browse("sort=activity"))[:2] == ["Bob Baker", "Alice Archer"]


def test_organizations_sort_by_their_listed_members(world):
    grant_reputation(world["bob"], 10)
    world["alice"].last_seen_at = utcnow()
    db.session.commit()
    assert names(browse("show=orgs&sort=reputation")) == ["Beta Distribution", "Acme Networks"]
    assert names(browse("show=orgs&sort=activity")) == ["Acme Networks", "Beta Distribution"]


# --- pagination ---------------------------------------------------------------------------------------


def test_pagination(db):
    for n in range(5):
        make_user(display_name=f"Person {n}")
    db.session.commit()
    first = browse("per_page=2")
    assert (first.total, first.pages, first.has_next, first.has_prev) == (5, 3, True, False)
    assert names(first) == ["Person 0", "Person 1"]
    assert names(browse("per_page=2&page=3")) == ["Person 4"]
    with pytest.raises(Invalid, match="no page 4"):
        browse("per_page=2&page=4")


def test_an_empty_result_still_has_page_one(world):
    page = browse("region=APAC&role=mentor")
    assert (page.total, page.pages, page.items) == (0, 1, [])


# --- free text ---------------------------------------------------------------------------------------


def test_free_text_without_an_index_falls_back_to_the_public_facts(world):
    assert names(browse("q=archer")) == ["Alice Archer"]
    assert names(browse("q=singapore")) == ["Bob Baker"]
    assert names(browse("q=acme")) == ["Alice Archer"]  # organization name
    assert names(browse("q=security&region=EMEA")) == ["Alice Archer", "Carol Cho"]
    assert names(browse("q=harriet")) == []  # hidden member


def test_free_text_uses_the_search_index_when_it_has_members(app, world):
    from app.search.rebuild import reindex

    reindex(app)
    assert names(browse("q=archer")) == ["Alice Archer"]
    assert names(browse("q=partner manager")) == ["Alice Archer"]
    assert names(browse("show=orgs&q=distribution")) == ["Beta Distribution"]
    assert names(browse("q=harriet")) == []


def test_free_text_falls_back_when_the_index_fails(app, world, monkeypatch):
    from app.search import services as search_service

    def broken(*args, **kwargs):
        raise RuntimeError("index is gone")

    monkeypatch.setattr(search_service, "search", broken)
    assert names(browse("q=baker")) == ["Bob Baker"]


def test_searchable_custom_text_fields_match_free_text(world):
    partners = add_field("partners", kind="text", searchable=True, visibility="members")
    set_value(world["bob"], partners, "Contoso Ltd")
    db.session.commit()
    member = make_user()
    db.session.commit()
    assert names(browse("q=contoso", reader=member)) == ["Bob Baker"]
    assert names(browse("q=contoso")) == []  # visitors may not see the field


def test_words_without_letters_do_not_restrict(world):
    assert names(browse("q=%21%21%21")) == ["Alice Archer", "Bob Baker", "Carol Cho"]


# --- the query string ------------------------------------------------------------------------------


def test_query_string_round_trips(world):
    add_field("cloud", kind="multi", visibility="everyone")
    raw = "q=net&region=EMEA&region=APAC&cf.cloud=AWS&sort=reputation&per_page=5&page=1"
    args = MultiDict(parse_qsl(raw))
    query = parse_query(VISITOR, args)
    again = parse_query(VISITOR, MultiDict(query.params()))
    assert again == query
    assert query.params() == [
        ("q", "net"),
        ("region", "EMEA"),
        ("region", "APAC"),
        ("cf.cloud", "AWS"),
        ("sort", "reputation"),
        ("per_page", "5"),
    ]


def test_toggling_a_filter_resets_the_page(world):
    query = DirectoryQuery(page=3, filters={"region": ["EMEA"]})
    assert query.toggled("region", "APAC") == "?region=EMEA&region=APAC"
    assert query.toggled("region", "EMEA") == ""
    assert query.query_string() == "?region=EMEA&page=3"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("colour=red", "Unknown filter"),
        ("tier=diamond", "Unknown tier"),
        ("partner_type=pirate", "Unknown partner type"),
        ("role=member", "Unknown role"),
        ("region=Atlantis", "Unknown region"),  # only the hidden member lists it
        ("show=everyone", "Show either"),
        ("sort=age", "Sort by"),
        ("per_page=0", "between 1"),
        ("per_page=-1", "between 1"),
        ("per_page=two", "whole number"),
        ("per_page=99999999999999999999", "between 1"),
        ("per_page=101", "between 1"),
        ("show=orgs&language=English", "applies to people"),
        ("cf.nosuch=x", "Unknown filter"),
        ("page=1&page=2", "only once"),
    ],
)
def test_bad_queries_are_refused_with_a_message(world, query, message):
    with pytest.raises(Invalid, match=message):
        browse(query)


def test_too_many_values_and_overlong_values_are_refused(world):
    with pytest.raises(Invalid, match="at most 20"):
        browse("&".join(f"region=r{n}" for n in range(21)))
    with pytest.raises(Invalid):
        browse("region=" + "x" * 121)
    with pytest.raises(Invalid, match="at most 256"):
        browse("q=" + "x" * 257)


def test_custom_choice_values_must_be_offered_choices(world):
    add_field("cloud", kind="choice", visibility="everyone")
    with pytest.raises(Invalid, match="Unknown cloud"):
        browse("cf.cloud=Oracle")


def test_empty_values_are_ignored(world):
    assert names(browse("region=&q=&sort=")) == ["Alice Archer", "Bob Baker", "Carol Cho"]


def test_listing_reads_organizations_of_many_members_in_bulk(db):
    org = make_org()
    for n in range(3):
        make_user(display_name=f"Member {n}", organization=org)
    topic = make_topic()
    make_post(topic)
    refresh()
    assert browse("partner_type=reseller").total == 3
