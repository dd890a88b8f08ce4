"""The referral list opens where the newest referral is, and its tabs count (issue 19:
a referral just sent seemed to vanish behind an unmarked "Received" tab)."""

from __future__ import annotations

import re

from tests.referrals.conftest import send


def _tab(html: str, label: str) -> re.Match | None:
    return re.search(
        rf'<a href="/referrals\?box=\w+"( aria-current="page")?>{label} <span class="tab-count">(\d+)</span>',
        html,
    )


def test_the_list_opens_on_sent_when_the_newest_referral_was_sent(world, client, login_as):
    send(world.bob, "north", summary="Incoming opportunity")
    send(world.andy, "south", summary="Just sent")
    login_as(world.andy)
    html = client.get("/referrals").get_data(as_text=True)
    assert "Just sent" in html and "Incoming opportunity" not in html
    assert _tab(html, "Sent").group(1) and not _tab(html, "Received").group(1)


def test_the_list_opens_on_received_when_the_newest_referral_came_in(world, client, login_as):
    send(world.andy, "south", summary="Sent earlier")
    send(world.bob, "north", summary="Incoming opportunity")
    login_as(world.andy)
    html = client.get("/referrals").get_data(as_text=True)
    assert "Incoming opportunity" in html and "Sent earlier" not in html
    assert _tab(html, "Received").group(1)


def test_the_tabs_show_how_many_referrals_each_list_holds(world, client, login_as):
    send(world.andy, "south", summary="One")
    send(world.alice, "third", summary="Two")
    send(world.bob, "north", summary="Three")
    login_as(world.andy)
    html = client.get("/referrals?box=received").get_data(as_text=True)
    assert _tab(html, "Received").group(2) == "1"
    assert _tab(html, "Sent").group(2) == "2"


def test_a_member_with_nothing_yet_opens_on_received(world, client, login_as):
    login_as(world.andy)
    html = client.get("/referrals").get_data(as_text=True)
    assert _tab(html, "Received").group(1) and _tab(html, "Received").group(2) == "0"
