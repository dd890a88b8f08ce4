"""Referrals in search: found only by their two organizations' members and admins, on
both search backends; never by the customer's name or the details."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from app.accounts import organizations
from app.accounts.models import Anonymous
from app.extensions import db
from app.referrals import services as referrals
from app.search import services
from tests.referrals.conftest import send


def _postgres() -> bool:
    url = os.environ.get("TEST_DATABASE_URL")
    return bool(url) and sa.make_url(url).get_backend_name() == "postgresql"


pytestmark = pytest.mark.parametrize(
    "app",
    [
        pytest.param({"SEARCH_BACKEND": "whoosh"}, id="whoosh"),
        pytest.param(
            {"SEARCH_BACKEND": "postgres"},
            id="postgres",
            marks=pytest.mark.skipif(
                not _postgres(), reason="the postgres search backend needs TEST_DATABASE_URL"
            ),
        ),
    ],
    indirect=True,
)


@pytest.fixture(autouse=True)
def _backend_ready(app):
    from app.search.backend import get_backend

    get_backend(app).ensure_schema()


def found(actor, query: str) -> set[str]:
    return {hit.key for hit in services.search(actor, query, per_page=50).hits}


@pytest.fixture
def referral(world):
    return send(world.andy, "south", summary="Firewall refresh for quokka branches")


@pytest.mark.parametrize("who", ["alice", "andy", "bob", "bea", "admin"])
def test_both_organizations_and_admins_find_the_referral(world, referral, who):
    assert found(getattr(world, who), "quokka") == {f"referral:{referral.id}"}


@pytest.mark.parametrize("who", ["carl", "loner", "moderator"])
def test_outsiders_do_not_find_it(world, referral, who):
    assert found(getattr(world, who), "quokka") == set()
    result = services.search(getattr(world, who), "quokka")
    assert result.total == 0 and "referral" not in result.facets.get("kind", {})


def test_visitors_do_not_find_it(world, referral):
    assert found(Anonymous(), "quokka") == set()


def test_the_customers_name_and_the_details_are_not_searchable(world, referral):
    assert found(world.admin, "Acme") == set()
    assert found(world.andy, "March") == set()


def test_region_industry_and_specialisms_are_searchable(world, referral):
    assert found(world.bob, "retail") >= {f"referral:{referral.id}"}


def test_a_member_who_leaves_stops_finding_it(world, referral):
    organizations.add_member(world.admin, world.third, world.bea)
    db.session.commit()
    assert found(world.bea, "quokka") == set()


def test_a_change_is_reflected_in_the_index(world, referral):
    referrals.accept(world.bob, referral)
    db.session.commit()
    [hit] = services.search(world.bob, "quokka").hits
    assert hit.meta["status"] == "accepted"
    assert hit.url == f"/referrals/{referral.id}"


def test_a_full_reindex_brings_referrals_back(world, referral, app):
    from app.search import rebuild

    db.session.commit()
    counts = rebuild.reindex(app)
    assert counts.get("referral") == 1
    assert found(world.bob, "quokka") == {f"referral:{referral.id}"}
    assert found(world.carl, "quokka") == set()
