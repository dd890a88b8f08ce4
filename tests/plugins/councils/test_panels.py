"""Council seats on profile and organization pages: fellow members see them, nobody else."""

from __future__ import annotations

import pytest

from app.plugins.councils import services
from tests.factories import make_org, make_user


@pytest.fixture
def seated(db, admin, council, chair):
    org = make_org(name="Seat Org", slug="seat-org")
    member = make_user(username="seated", organization=org)
    services.grant_seat(admin, council, member)
    services.accept_charter(member, council, council.charter_version)
    db.session.commit()
    return member


def _profile(client, username: str = "seated") -> str:
    return client.get(f"/u/{username}").get_data(as_text=True)


def test_a_fellow_member_sees_the_seat_on_the_profile_and_the_organization(db, login_as, chair, seated):
    client = login_as(chair)
    profile = _profile(client)
    assert "Advisory councils</h2>" in profile and "EMEA Partner Council" in profile
    organization = client.get("/o/seat-org").get_data(as_text=True)
    assert "Advisory council seats</h2>" in organization and "EMEA Partner Council" in organization
    assert "seated" in organization  # the person holding the seat


def test_outsiders_see_no_trace_of_the_seat(db, client, login_as, admin, council, seated):
    other = services.create_council(admin, "Global Council", "Charter")
    elsewhere = make_user(organization=make_org())
    services.grant_seat(admin, other, elsewhere)
    services.accept_charter(elsewhere, other, other.charter_version)
    unaccepted = make_user(organization=make_org())
    services.grant_seat(admin, council, unaccepted)  # seated, charter not yet accepted
    db.session.commit()
    for person in (None, make_user(organization=make_org()), elsewhere, unaccepted):
        if person is not None:
            login_as(person)
        for page in (_profile(client), client.get("/o/seat-org").get_data(as_text=True)):
            assert "EMEA Partner Council" not in page and "Advisory council" not in page


def test_a_seat_disappears_the_day_the_term_ends(db, login_as, chair, council, seated):
    services.membership_of(seated, council).term_end = services.today()
    db.session.commit()
    assert "EMEA Partner Council" not in _profile(login_as(chair))
