"""A chair publishes a new charter version and removes a member over HTTP; bad input
writes nothing; a member cannot do either."""

from __future__ import annotations

from app.plugins.councils import services
from tests.factories import make_org, make_user


def test_a_new_charter_version_asks_every_member_again(db, client, login_as, council, chair):
    login_as(chair)
    response = client.post(f"/councils/{council.id}/charter", data={"charter": "Version **two**."})
    assert response.status_code == 302
    db.session.expire_all()
    assert council.charter_version == 2 and not services.may_enter(chair, council)
    assert "I accept the charter" in client.get(f"/councils/{council.id}").get_data(as_text=True)


def test_an_empty_charter_is_refused_and_nothing_is_written(db, client, login_as, council, chair):
    login_as(chair)
    response = client.post(f"/councils/{council.id}/charter", data={"charter": "   "})
    assert response.status_code == 400
    db.session.expire_all()
    assert council.charter_version == 1


def test_the_chair_removes_a_member_who_then_gets_404(db, client, login_as, council, chair):
    member = make_user(organization=make_org())
    membership = services.grant_seat(chair, council, member)
    services.accept_charter(member, council, council.charter_version)
    db.session.commit()
    login_as(member)
    assert client.post(f"/councils/{council.id}/charter", data={"charter": "Mine now"}).status_code == 403
    assert client.post(f"/councils/{council.id}/members/{membership.id}/remove").status_code == 403
    login_as(chair)
    assert client.post(f"/councils/{council.id}/members/{membership.id}/remove").status_code == 302
    login_as(member)
    assert client.get(f"/councils/{council.id}").status_code == 404
    db.session.expire_all()
    assert council.seats_taken == 1
