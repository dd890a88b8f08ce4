"""The leak matrix for what councils build so far: pages, search, chat.

Outsiders (visitor, site member, member of another council, former and removed
members) get the same 404 for an existing council as for one that does not exist.
"""

from __future__ import annotations

import re

import pytest

from app.plugins.councils import services
from tests.factories import make_org, make_user

FLASH = re.compile(r'<p class="flash[^"]*" role="status">.*?</p>')


def _page(response) -> str:
    """The page without flashed messages (a visitor's sign-in prompt may linger)."""
    return re.sub(r"\s+", " ", FLASH.sub("", response.get_data(as_text=True)))


def _flat(answers: list) -> list:
    return [item for answer in answers for item in (answer or [])]


PAGES = ("/councils/{id}", "/councils/{id}/applications", "/councils/{id}/apply")


@pytest.fixture
def outsiders(db, admin, council, chair):
    other = services.create_council(admin, "Global Council", "Charter")
    elsewhere = make_user(organization=make_org())
    services.grant_seat(admin, other, elsewhere)
    services.accept_charter(elsewhere, other, other.charter_version)
    former, removed = make_user(organization=make_org()), make_user(organization=make_org())
    for person in (former, removed):
        services.grant_seat(chair, council, person)
        services.accept_charter(person, council, council.charter_version)
    services.membership_of(former, council).term_end = services.today()
    services.end_membership(chair, services.membership_of(removed, council))
    db.session.commit()
    return {
        "site member": make_user(organization=make_org()),
        "other council": elsewhere,
        "former": former,
        "removed": removed,
    }


def test_outsiders_get_the_same_404_for_a_real_and_a_missing_council(
    db, client, login_as, council, outsiders
):
    people = {"visitor": None, **outsiders}
    for name, person in people.items():
        if person is not None:
            login_as(person)
        for page in PAGES:
            real = client.get(page.format(id=council.id))
            missing = client.get(page.format(id=council.id + 999))
            if person is None:
                assert real.status_code == missing.status_code and real.status_code in (302, 401), (
                    name,
                    page,
                )
                continue
            assert real.status_code == missing.status_code == 404, (name, page)
            assert _page(real) == _page(missing), (name, page)
            assert council.name.encode() not in real.get_data()


def test_members_enter_after_accepting_and_outsiders_see_no_trace_in_listings(
    db, client, login_as, council, chair, outsiders
):
    body = login_as(chair).get(f"/councils/{council.id}").get_data(as_text=True)
    assert "What is said here stays here" in body
    for name, person in outsiders.items():
        listing = login_as(person).get("/councils/").get_data(as_text=True)
        assert council.name not in listing, name


def test_a_member_who_has_not_accepted_sees_only_the_charter_form(db, client, login_as, council, chair):
    member = make_user(organization=make_org())
    services.grant_seat(chair, council, member)
    db.session.commit()
    page = login_as(member).get(f"/councils/{council.id}").get_data(as_text=True)
    assert "I accept the charter" in page and "Members</h2>" not in page
    response = client.post(f"/councils/{council.id}/accept", data={"version": 99})
    assert response.status_code == 400 and "no longer current" in response.get_data(as_text=True)
    assert not services.may_enter(member, council)
    client.post(f"/councils/{council.id}/accept", data={"version": council.charter_version})
    assert services.may_enter(member, council)


def test_search_principals_and_chat_rooms_follow_membership(db, app, council, chair, outsiders):
    from app.plugins import plugin_manager

    hook = plugin_manager(app).hook
    assert f"council:{council.id}" in _flat(hook.search_principals(actor=chair))
    assert [room["scope_id"] for room in _flat(hook.chat_channels_for(actor=chair))] == [council.id]
    members = [
        ids for ids in hook.chat_channel_members(scope_type="council", scope_id=council.id) if ids is not None
    ]
    assert members == [[chair.id]]
    for name, person in outsiders.items():
        assert f"council:{council.id}" not in _flat(hook.search_principals(actor=person)), name
        rooms = [room["scope_id"] for room in _flat(hook.chat_channels_for(actor=person))]
        assert council.id not in rooms, name


@pytest.mark.app_config(PAGE_CACHE_SECONDS=300)
def test_the_page_cache_never_serves_a_members_council_page_to_anyone_else(
    db, client, login_as, council, chair, outsiders
):
    login_as(chair)
    for _ in range(2):  # the second visit may come from the cache
        assert "What is said here stays here" in client.get(f"/councils/{council.id}").get_data(as_text=True)
    for name, person in outsiders.items():
        login_as(person)
        response = client.get(f"/councils/{council.id}")
        assert response.status_code == 404, name
        assert "What is said here" not in response.get_data(as_text=True), name
    login_as(None)
    response = client.get(f"/councils/{council.id}")
    assert response.status_code in (302, 401)
    assert "What is said here" not in response.get_data(as_text=True)
