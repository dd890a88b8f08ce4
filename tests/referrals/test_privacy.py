"""A referral exists only for its two organizations' members and for admins: on its
page, in lists, JSON, search and notifications. Confidential referrals keep the
customer's name and the details from the recipient until it accepts."""

from __future__ import annotations

import pytest

from app.accounts import organizations
from app.extensions import db
from app.referrals import services as referrals
from tests.referrals.conftest import notifications_of, send

OUTSIDERS = ("carl", "loner", "moderator")
INSIDERS = ("alice", "andy", "bob", "bea", "admin")


@pytest.fixture
def referral(world):
    return send(world.andy, "south")


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_404_on_the_page_and_its_json(world, referral, client, login_as, who):
    login_as(getattr(world, who))
    assert client.get(f"/referrals/{referral.id}").status_code == 404
    response = client.get(f"/referrals/{referral.id}.json")
    assert response.status_code == 404
    assert response.is_json and "error" in response.get_json()
    assert b"Acme" not in response.data and b"Firewall" not in response.data


def test_visitors_get_404_on_the_page_and_its_json(world, referral, client):
    assert client.get(f"/referrals/{referral.id}").status_code == 404
    assert client.get(f"/referrals/{referral.id}.json").status_code == 404


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_cannot_post_steps(world, referral, client, login_as, who):
    login_as(getattr(world, who))
    for word in ("accept", "decline", "start", "win", "lose", "withdraw"):
        assert (
            client.post(f"/referrals/{referral.id}/{word}", data={"decline-reason": "x"}).status_code == 404
        )
    assert db.session.get(type(referral), referral.id).status == "sent"


@pytest.mark.parametrize("who", INSIDERS)
def test_both_organizations_and_admins_see_the_page(world, referral, client, login_as, who):
    login_as(getattr(world, who))
    page = client.get(f"/referrals/{referral.id}")
    assert page.status_code == 200
    assert b"Firewall refresh for 40 branches" in page.data


def test_a_third_organization_does_not_see_it_in_its_lists(world, referral, client, login_as):
    login_as(world.carl)
    for box in ("received", "sent"):
        data = client.get(f"/referrals.json?box={box}").get_json()
        assert data["items"] == []
        assert b"Firewall" not in client.get(f"/referrals?box={box}").data


@pytest.mark.parametrize("who", ["loner", "moderator"])
def test_people_without_an_organization_have_no_referral_lists(world, referral, client, login_as, who):
    login_as(getattr(world, who))
    assert client.get("/referrals").status_code == 403
    response = client.get("/referrals.json")
    assert response.status_code == 403
    assert "error" in response.get_json()


def test_visitors_have_no_referral_json(world, referral, client):
    response = client.get("/referrals.json")
    assert response.status_code == 403
    assert b"Firewall" not in response.data


def test_admins_see_every_referral_in_the_all_list(world, referral, client, login_as):
    login_as(world.admin)
    data = client.get("/referrals.json").get_json()
    assert data["box"] == "all"
    assert [item["id"] for item in data["items"]] == [referral.id]


def test_a_member_who_leaves_loses_access_at_once(world, referral, client, login_as):
    organizations.add_member(world.admin, world.third, world.bea)
    db.session.commit()
    login_as(world.bea)
    assert client.get(f"/referrals/{referral.id}").status_code == 404
    assert client.get(f"/referrals/{referral.id}.json").status_code == 404
    assert client.get("/referrals.json?box=received").get_json()["items"] == []
    assert client.get("/o/south/referrals").status_code == 404


def test_a_former_member_is_not_notified_of_later_steps(world):
    referral = send(world.alice, "third")
    assert len(notifications_of(world.carl)) == 1
    world.carl.organization = None
    db.session.commit()
    referrals.withdraw(world.alice, referral)
    db.session.commit()
    assert len(notifications_of(world.carl)) == 1


def test_a_sender_who_left_is_not_notified_of_the_answer(world, referral):
    world.andy.organization = world.third
    db.session.commit()
    referrals.accept(world.bob, referral)
    db.session.commit()
    assert notifications_of(world.andy) == []
    assert len(notifications_of(world.alice)) == 1


def test_outsiders_are_never_notified(world, referral):
    referrals.accept(world.bob, referral)
    referrals.start_work(world.bob, referral)
    referrals.win(world.bob, referral, "100")
    db.session.commit()
    for who in (*OUTSIDERS, "admin"):
        assert notifications_of(getattr(world, who)) == []


def test_notifications_never_carry_the_customer_or_the_summary(world, referral):
    referrals.decline(world.bob, referral, "Acme is a bad fit")
    db.session.commit()
    for user in (world.alice, world.andy, world.bob, world.bea):
        for notice in notifications_of(user):
            assert "Acme" not in notice.message
            assert "Firewall" not in notice.message
            assert "March" not in notice.message


# --- confidentiality -------------------------------------------------------------------


@pytest.fixture
def confidential(world):
    return send(world.andy, "south", confidentiality="confidential", details="Board sponsor is **Zed**.")


def test_the_recipient_sees_no_customer_before_accepting(world, confidential, client, login_as):
    login_as(world.bea)
    page = client.get(f"/referrals/{confidential.id}").get_data(as_text=True)
    assert "Firewall refresh" in page
    assert "Acme Retail" not in page
    assert "Zed" not in page
    assert "Shared once South Security accepts" in page
    data = client.get(f"/referrals/{confidential.id}.json").get_json()
    assert data["customer_name"] is None and data["details_html"] is None
    assert data["customer_visible"] is False


def test_the_recipient_sees_the_customer_after_accepting(world, confidential, client, login_as):
    referrals.accept(world.bob, confidential)
    db.session.commit()
    login_as(world.bea)
    page = client.get(f"/referrals/{confidential.id}").get_data(as_text=True)
    assert "Acme Retail" in page and "<strong>Zed</strong>" in page
    data = client.get(f"/referrals/{confidential.id}.json").get_json()
    assert data["customer_name"] == "Acme Retail Ltd"


def test_a_declined_confidential_referral_never_reveals_the_customer(world, confidential, client, login_as):
    referrals.decline(world.bob, confidential, "No capacity")
    db.session.commit()
    login_as(world.bob)
    assert b"Acme Retail" not in client.get(f"/referrals/{confidential.id}").data


def test_once_accepted_the_customer_stays_visible_after_a_withdrawal(world, confidential):
    referrals.accept(world.bob, confidential)
    referrals.withdraw(world.alice, confidential)
    db.session.commit()
    assert referrals.customer_visible(world.bob, confidential) is True


@pytest.mark.parametrize("who", ["andy", "alice", "admin"])
def test_the_sender_side_and_admins_always_see_the_customer(world, confidential, who):
    assert referrals.customer_visible(getattr(world, who), confidential) is True


def test_confidential_customers_stay_out_of_the_recipients_list_json(world, confidential, client, login_as):
    login_as(world.bob)
    [item] = client.get("/referrals.json").get_json()["items"]
    assert item["customer_name"] is None
    assert b"Acme" not in client.get("/referrals.json").data
