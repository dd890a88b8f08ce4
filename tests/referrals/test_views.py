"""The referral pages over HTTP: sending (one organization or a shortlist), lists and
filters, answering, and every refusal as a 400 form error that writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.extensions import db
from app.referrals.models import Referral
from tests.referrals.conftest import VALID, counts, make_overdue, send

FORM = {**VALID, "recipient": "south", "action": "send"}


def post_new(client, **changes):
    return client.post("/referrals/new", data={**FORM, **changes})


# --- the new-referral form ---------------------------------------------------------


def test_the_form_offers_other_organizations_and_a_default_expiry(world, client, login_as):
    login_as(world.alice)
    page = client.get("/referrals/new").get_data(as_text=True)
    assert '<option value="south">South Security</option>' in page
    assert 'value="north"' not in page
    expected = (utcnow() + timedelta(days=30)).date().isoformat()
    assert f'value="{expected}"' in page
    assert '<label for="currency">Currency</label>' in page


def test_the_form_preselects_the_organization_named_in_the_link(world, client, login_as):
    login_as(world.alice)
    page = client.get("/referrals/new?to=third").get_data(as_text=True)
    assert '<option selected value="third">' in page or '<option value="third" selected>' in page


def test_sending_redirects_to_the_new_referral(world, client, login_as):
    login_as(world.andy)
    response = post_new(client)
    referral = db.session.scalar(sa.select(Referral))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/referrals/{referral.id}")
    assert referral.recipient_org_id == world.south.id
    assert referral.currency == "EUR"


def test_people_without_an_organization_get_a_clear_403(world, client, login_as):
    login_as(world.loner)
    response = client.get("/referrals/new")
    assert response.status_code == 403
    assert b"Join a partner organization" in response.data
    assert post_new(client).status_code == 403
    assert counts() == (0, 0, 0)


def test_visitors_are_sent_to_sign_in(world, client):
    assert client.get("/referrals/new").status_code == 302
    assert client.get("/referrals").status_code == 302


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"recipient": "north"}, "your own organization"),
        ({"recipient": "nowhere"}, "no partner organization"),
        ({"recipient": ""}, "Choose an organization"),
        ({"currency": "XYZ"}, "ISO 4217"),
        ({"currency": "usd; DROP TABLE referral"}, "ISO 4217"),
        ({"confidentiality": "top-secret"}, "standard or confidential"),
        ({"estimated_value": "-10"}, "more than zero"),
        ({"estimated_value": "1000000000000"}, "at most 999,999,999,999.99"),
        ({"estimated_value": "12,50"}, "without thousands separators"),
        ({"estimated_value": "0.001"}, "two decimal places"),
        ({"expires_on": "2001-01-01"}, "in the future"),
        ({"expires_on": "31/12/2030"}, "like 2030-05-31"),
        ({"expires_on": "2030-13-45"}, "like 2030-05-31"),
        ({"summary": ""}, "Enter a summary"),
        ({"summary": "x" * 201}, "200 characters"),
        ({"details": "x" * 10_001}, "10000 characters"),
        ({"customer_name": "x" * 121}, "120 characters"),
    ],
)
def test_bad_input_rerenders_the_form_with_400_and_writes_nothing(world, client, login_as, changes, message):
    login_as(world.andy)
    response = post_new(client, **changes)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert counts() == (0, 0, 0)


def test_proposing_a_shortlist_lists_matching_organizations(world, client, login_as):
    login_as(world.alice)
    response = post_new(client, action="propose", specialisms="cloud", customer_region="APAC")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="shortlist" value="south"' in page
    assert 'name="shortlist" value="third"' in page
    assert 'value="north"' not in page.split("referral-shortlist")[1]
    assert counts() == (0, 0, 0)


def test_proposing_with_nothing_matching_says_so(world, client, login_as):
    login_as(world.alice)
    page = post_new(client, action="propose", specialisms="quantum", customer_region="").get_data(
        as_text=True
    )
    assert "No other organization lists these specialisms" in page


def test_sending_to_the_ticked_organizations(world, client, login_as):
    login_as(world.alice)
    data = {**FORM, "action": "send_shortlist", "shortlist": ["south", "third"], "recipient": ""}
    response = client.post("/referrals/new", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/referrals?box=sent")
    sent = db.session.scalars(sa.select(Referral)).all()
    assert {r.recipient_org_id for r in sent} == {world.south.id, world.third.id}
    assert len({r.batch for r in sent}) == 1


def test_sending_a_shortlist_with_nothing_ticked_shows_the_list_again(world, client, login_as):
    login_as(world.alice)
    response = client.post(
        "/referrals/new", data={**FORM, "action": "send_shortlist", "specialisms": "cloud"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Tick at least one organization." in page
    assert 'name="shortlist" value="south"' in page
    assert counts() == (0, 0, 0)


def test_a_forged_shortlist_with_the_senders_own_organization_writes_nothing(world, client, login_as):
    login_as(world.alice)
    data = {**FORM, "action": "send_shortlist", "shortlist": ["south", "north"]}
    response = client.post("/referrals/new", data=data)
    assert response.status_code == 400
    assert "your own organization" in response.get_data(as_text=True)
    assert counts() == (0, 0, 0)


# --- lists -------------------------------------------------------------------------


def test_received_and_sent_tabs(world, client, login_as):
    incoming = send(world.bob, "north", summary="Incoming opportunity")
    outgoing = send(world.andy, "south", summary="Outgoing opportunity")
    login_as(world.andy)
    received = client.get("/referrals?box=received").get_data(as_text=True)
    assert "Incoming opportunity" in received and "Outgoing opportunity" not in received
    sent = client.get("/referrals?box=sent").get_data(as_text=True)
    assert "Outgoing opportunity" in sent and "Incoming opportunity" not in sent
    data = client.get("/referrals.json?box=sent").get_json()
    assert [item["id"] for item in data["items"]] == [outgoing.id]
    assert incoming.id != outgoing.id


def test_filtering_by_status(world, client, login_as):
    from app.referrals import services as referrals

    first = send(world.andy, "south", summary="First one")
    send(world.andy, "third", summary="Second one")
    referrals.accept(world.bob, first)
    db.session.commit()
    login_as(world.andy)
    page = client.get("/referrals?box=sent&status=accepted").get_data(as_text=True)
    assert "First one" in page and "Second one" not in page
    data = client.get("/referrals.json?box=sent&status=sent").get_json()
    assert [item["summary"] for item in data["items"]] == ["Second one"]


@pytest.mark.parametrize(
    "query",
    ["box=everything", "box=all", "status=pending", "status=%00"],
)
def test_unknown_filter_values_are_a_clear_400(world, client, login_as, query):
    login_as(world.andy)
    assert client.get(f"/referrals?{query}").status_code == 400
    response = client.get(f"/referrals.json?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_lists_are_paginated(world, client, login_as):
    for n in range(21):
        send(world.bob, "north", summary=f"Opportunity {n:02d}")
    login_as(world.andy)
    first = client.get("/referrals.json").get_json()
    assert (first["pages"], first["total"], len(first["items"])) == (2, 21, 20)
    second = client.get("/referrals.json?page=2").get_json()
    assert [item["summary"] for item in second["items"]] == ["Opportunity 00"]
    assert 'rel="next"' in client.get("/referrals").get_data(as_text=True)


def test_the_list_page_expires_overdue_referrals_for_good(world, client, login_as):
    referral = send(world.andy, "south")
    make_overdue(referral)
    login_as(world.bob)
    client.get("/referrals")
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == "expired"


# --- answering ---------------------------------------------------------------------


@pytest.fixture
def referral(world):
    return send(world.andy, "south")


def test_the_recipient_sees_accept_and_decline(world, referral, client, login_as):
    login_as(world.bea)
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert f"/referrals/{referral.id}/accept" in page
    assert f"/referrals/{referral.id}/decline" in page
    assert f"/referrals/{referral.id}/withdraw" not in page


def test_the_sender_sees_withdraw_only(world, referral, client, login_as):
    login_as(world.andy)
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert f"/referrals/{referral.id}/withdraw" in page
    assert f"/referrals/{referral.id}/accept" not in page


def test_admins_see_no_buttons(world, referral, client, login_as):
    login_as(world.admin)
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    for word in ("accept", "decline", "withdraw"):
        assert f"/referrals/{referral.id}/{word}" not in page
    assert client.post(f"/referrals/{referral.id}/accept").status_code == 403


def test_the_whole_journey_over_http(world, referral, client, login_as):
    login_as(world.bea)
    assert client.post(f"/referrals/{referral.id}/accept", data={"accept-note": "On it"}).status_code == 302
    assert client.post(f"/referrals/{referral.id}/start", data={"start-note": ""}).status_code == 302
    response = client.post(
        f"/referrals/{referral.id}/win", data={"win-value": "1234.5", "win-note": "Signed"}
    )
    assert response.status_code == 302
    login_as(world.andy)
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "1,234.50 EUR" in page
    for label in ("Sent", "Accepted", "Work started", "Won", "On it", "Signed"):
        assert label in page
    data = client.get(f"/referrals/{referral.id}.json").get_json()
    assert [e["kind"] for e in data["events"]] == ["created", "accepted", "in_progress", "won"]
    assert data["outcome_value"] == "1234.50"


def test_declining_without_a_reason_is_a_400_form_error(world, referral, client, login_as):
    login_as(world.bob)
    response = client.post(f"/referrals/{referral.id}/decline", data={"decline-reason": ""})
    assert response.status_code == 400
    assert "Give a reason." in response.get_data(as_text=True)
    assert db.session.get(Referral, referral.id).status == "sent"


def test_winning_without_a_value_is_a_400_form_error(world, referral, client, login_as):
    from app.referrals import services as referrals

    referrals.accept(world.bob, referral)
    referrals.start_work(world.bob, referral)
    db.session.commit()
    login_as(world.bob)
    before = counts()
    response = client.post(f"/referrals/{referral.id}/win", data={"win-value": "", "win-note": "x"})
    assert response.status_code == 400
    assert "Enter the outcome value." in response.get_data(as_text=True)
    assert counts() == before


def test_an_invalid_transition_over_http_is_a_400_with_the_reason(world, referral, client, login_as):
    login_as(world.bob)
    response = client.post(f"/referrals/{referral.id}/win", data={"win-value": "10"})
    assert response.status_code == 400
    assert "cannot be marked as won" in response.get_data(as_text=True)


def test_an_unknown_step_is_404(world, referral, client, login_as):
    login_as(world.bob)
    assert client.post(f"/referrals/{referral.id}/explode").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/referrals/abc",
        "/referrals/99999999999999999999",
        "/referrals/0",
        "/referrals/-1",
        "/referrals/1x.json",
    ],
)
def test_malformed_urls_are_404(world, client, login_as, path):
    login_as(world.admin)
    assert client.get(path).status_code == 404


# --- navigation and the organization page ------------------------------------------


@pytest.mark.parametrize(
    ("who", "shown"), [("andy", True), ("admin", True), ("loner", False), ("moderator", False)]
)
def test_the_nav_item_is_for_members_of_organizations_and_admins(world, client, login_as, who, shown):
    login_as(getattr(world, who))
    assert (b'href="/referrals">Referrals</a>' in client.get("/orgs").data) is shown


def test_visitors_have_no_nav_item(world, client):
    assert b'href="/referrals">Referrals</a>' not in client.get("/orgs").data


def test_proposing_needs_only_specialisms_and_region(world, client, login_as):
    login_as(world.alice)
    data = {"action": "propose", "specialisms": "security", "customer_region": "", "currency": "USD"}
    response = client.post("/referrals/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="shortlist" value="south"' in page
    assert "Enter a summary" not in page


def test_proposing_with_too_many_specialisms_is_a_form_error(world, client, login_as):
    login_as(world.alice)
    many = ", ".join(f"s{n}" for n in range(25))
    response = post_new(client, action="propose", specialisms=many)
    assert response.status_code == 400
    assert "List at most 20" in response.get_data(as_text=True)
