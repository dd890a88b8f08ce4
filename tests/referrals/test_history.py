"""An organization's referral history: figures per side, acceptance rate, won value per
currency; for its own members and admins only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.core.errors import NotFound
from app.extensions import db
from app.referrals import services as referrals
from app.referrals.history import referral_history
from tests.referrals.conftest import make_overdue, send


@pytest.fixture
def record(world):
    """South received six referrals and sent one:
    won (EUR 1000.50), won (USD 200), lost, declined, accepted-then-withdrawn, expired."""
    won_eur = send(world.andy, "south", currency="EUR")
    won_usd = send(world.carl, "south", currency="USD")
    lost = send(world.andy, "south")
    declined = send(world.andy, "south")
    withdrawn = send(world.andy, "south")
    expired = send(world.carl, "south")
    send(world.bob, "north")
    for referral, value in ((won_eur, "1000.50"), (won_usd, "200"), (lost, None)):
        referrals.accept(world.bob, referral)
        referrals.start_work(world.bob, referral)
        if value:
            referrals.win(world.bob, referral, value)
        else:
            referrals.lose(world.bob, referral)
    referrals.decline(world.bob, declined, "Not for us")
    referrals.accept(world.bob, withdrawn)
    referrals.withdraw(world.andy, withdrawn)
    db.session.commit()
    make_overdue(expired)
    return referral_history(world.bob, world.south)


def test_received_figures(record):
    received = record.received
    assert (received.total, received.open) == (6, 0)
    assert (received.accepted, received.declined) == (4, 1)
    assert (received.won, received.lost, received.expired, received.withdrawn) == (2, 1, 1, 1)


def test_acceptance_rate_counts_accepted_or_later_over_decided(record):
    assert record.received.acceptance_rate == pytest.approx(4 / 5)


def test_won_value_is_summed_per_currency(record):
    assert record.received.won_value == {"EUR": Decimal("1000.50"), "USD": Decimal("200.00")}


def test_sent_figures(record):
    sent = record.sent
    assert (sent.total, sent.open, sent.accepted, sent.declined) == (1, 1, 0, 0)
    assert sent.acceptance_rate is None
    assert sent.won_value == {}


def test_the_other_side_sees_the_same_referrals_as_sent(world, record):
    north = referral_history(world.andy, world.north)
    assert (north.sent.total, north.sent.won) == (4, 1)
    assert north.sent.won_value == {"EUR": Decimal("1000.50")}
    assert north.received.total == 1


def test_recent_referrals_newest_first(record):
    ids = [r.id for r in record.recent]
    assert len(ids) == 7
    assert ids == sorted(ids, reverse=True)


@pytest.mark.parametrize("who", ["carl", "loner", "moderator"])
def test_outsiders_get_not_found(world, who):
    with pytest.raises(NotFound):
        referral_history(getattr(world, who), world.south)


def test_admins_see_any_history(world):
    assert referral_history(world.admin, world.south).received.total == 0


def test_the_history_page_shows_the_figures(world, record, client, login_as):
    login_as(world.bea)
    page = client.get("/o/south/referrals").get_data(as_text=True)
    assert '<td data-figure="received-won">2</td>' in page
    assert "80%" in page
    assert "1,000.50 EUR" in page and "200.00 USD" in page


def test_the_history_json(world, record, client, login_as):
    login_as(world.admin)
    data = client.get("/o/south/referrals.json").get_json()
    assert data["received"]["won_value"] == {"EUR": "1000.50", "USD": "200.00"}
    assert data["received"]["acceptance_rate"] == pytest.approx(0.8)
    assert len(data["recent"]) == 7


@pytest.mark.parametrize("who", ["carl", "loner", "moderator", None])
def test_the_history_page_and_json_are_404_to_outsiders(world, client, login_as, who):
    login_as(getattr(world, who) if who else None)
    assert client.get("/o/south/referrals").status_code == 404
    assert client.get("/o/south/referrals.json").status_code == 404


def test_an_unknown_organization_is_404(world, client, login_as):
    login_as(world.admin)
    assert client.get("/o/nowhere/referrals").status_code == 404
    assert client.get("/o/nowhere/referrals.json").status_code == 404


@pytest.mark.parametrize(("who", "history", "send_link"), [
    ("bea", True, False),
    ("admin", True, False),
    ("andy", False, True),
    ("loner", False, False),
    ("moderator", False, False),
])  # fmt: skip
def test_the_organization_page_links_the_history_to_those_who_may_see_it(
    world, client, login_as, who, history, send_link
):
    login_as(getattr(world, who))
    page = client.get("/o/south").get_data(as_text=True)
    assert ('href="/o/south/referrals"' in page) is history
    assert ('href="/referrals/new?to=south"' in page) is send_link


def test_visitors_see_no_referral_panel_on_organization_pages(world, client):
    page = client.get("/o/south").get_data(as_text=True)
    assert "/o/south/referrals" not in page and "/referrals/new" not in page
