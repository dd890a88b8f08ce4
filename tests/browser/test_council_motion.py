"""A council motion in a real browser: the chair opens a motion, two members vote,
the chair closes the vote, and both members see the result with quorum met. The
meeting, motions and motion pages fit 360 px and 1280 px and pass axe."""

from __future__ import annotations

import pytest

from tests.browser.checks import assert_fits_and_passes_axe
from tests.browser.conftest import PLAYWRIGHT_ERROR, REQUIRE_BROWSER, LiveServer

if PLAYWRIGHT_ERROR and not REQUIRE_BROWSER:
    pytest.skip(PLAYWRIGHT_ERROR, allow_module_level=True)

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.app_config(PLUGINS=["councils"])]


def _seed() -> dict:
    from app.plugins.councils import meetings, services
    from tests.factories import make_org, make_user

    admin = make_user(role="admin", display_name="Ada Admin")
    council = services.create_council(admin, "EMEA Partner Council", "# Charter\n\nConfidential.", seats=5)
    people = {}
    for key, name, role in (
        ("chair", "Chloe Chair", "chair"),
        ("anna", "Anna Member", "member"),
        ("ben", "Ben Member", "member"),
    ):
        user = make_user(display_name=name, organization=make_org(name=f"{name} Ltd"))
        services.grant_seat(admin, council, user, role)
        services.accept_charter(user, council, council.charter_version)
        people[key] = user.email
    chair_user = next(m.user for m in services.current_members(council.id) if m.role == "chair")
    meeting = meetings.create_meeting(
        chair_user, council, "Spring meeting", "2027-03-04T15:00", "Europe/Berlin", location="Berlin office"
    )
    meetings.add_agenda_item(chair_user, council, meeting, "Deal registration", "decision")
    return {"council": council.id, "meeting": meeting.id, **people}


def _sign_in(page: Page, server: LiveServer, email: str) -> None:
    page.goto(server("/login"))
    form = page.locator("#main form:has([name='password'])").first
    form.locator("[name=email]").fill(email)
    form.locator("[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").first.click()
    expect(page.locator(".site-header .user-menu")).to_have_count(1)


def test_chair_opens_a_motion_members_vote_and_see_the_result(live_server: LiveServer, new_context) -> None:
    seeded = live_server.run(_seed)
    base = f"/councils/{seeded['council']}"

    chair = new_context().new_page()
    _sign_in(chair, live_server, seeded["chair"])
    chair.goto(live_server(f"{base}/meetings/{seeded['meeting']}"))
    expect(chair.get_by_role("heading", name="Spring meeting")).to_be_visible()
    assert_fits_and_passes_axe(chair, "council meeting")

    chair.goto(live_server(f"{base}/motions"))
    assert_fits_and_passes_axe(chair, "council motions (empty)")
    form = chair.locator("form:has([name=closes_at])")
    form.get_by_label("Title").fill("Shorten deal registration to 48 hours")
    form.get_by_label("Motion text (Markdown)").fill(
        "The council asks the vendor to **approve** deals in 48 hours."
    )
    form.get_by_label("Closes (UTC)").fill("2030-01-01T10:00")
    form.get_by_role("button", name="Open the motion").click()
    expect(chair.get_by_text("Motion opened")).to_be_visible()
    chair.get_by_role("link", name="Shorten deal registration to 48 hours").click()
    motion_url = chair.url
    assert_fits_and_passes_axe(chair, "council motion (open)")

    members = []
    for key, choice in (("anna", "Yes"), ("ben", "No")):
        page = new_context().new_page()
        _sign_in(page, live_server, seeded[key])
        page.goto(motion_url)
        expect(page.get_by_text("Results are hidden until the vote closes")).to_be_visible()
        page.get_by_label(choice, exact=True).check()
        page.get_by_role("button", name="Cast my vote").click()
        expect(page.get_by_text("Your vote is recorded")).to_be_visible()
        members.append(page)
    # Anna changes her mind before the close: still one ballot.
    members[0].get_by_label("Abstain", exact=True).check()
    members[0].get_by_role("button", name="Change my vote").click()
    expect(members[0].get_by_text("You voted abstain")).to_be_visible()
    members[0].get_by_label("Yes", exact=True).check()
    members[0].get_by_role("button", name="Change my vote").click()

    chair.goto(motion_url)
    chair.get_by_role("button", name="Close voting now").click()
    expect(chair.get_by_role("heading", name="Result")).to_be_visible()

    for page in members:
        page.goto(motion_url)
        result = page.locator("#result")
        expect(result).to_contain_text("Yes: 1")
        expect(result).to_contain_text("No: 1")
        expect(result).to_contain_text("Turnout: 2 of 3 voting members")
        expect(result).to_contain_text("Quorum (50% of voting members): met")
    assert_fits_and_passes_axe(members[1], "council motion (closed)")


def _seed_feedback() -> dict:
    from datetime import timedelta

    from app.core.db import utcnow
    from app.plugins.councils import feedback, meetings, services
    from tests.factories import make_org, make_user

    admin = make_user(role="admin", display_name="Ada Admin")
    council = services.create_council(admin, "Global Partner Council", "Charter", seats=5)
    member = make_user(display_name="Anna Member", organization=make_org(name="Anna Ltd"))
    services.grant_seat(admin, council, member, "chair")
    services.accept_charter(member, council, council.charter_version)
    item = feedback.raise_feedback(
        member, council, "Deal registration is slow", "Two **weeks**.", "Lost deals"
    )
    item.created_at = utcnow() - timedelta(days=20)
    meeting = meetings.create_meeting(
        member, council, "Kick-off", "2026-01-10T10:00", "UTC", location="Online"
    )
    meetings.add_agenda_item(
        member,
        council,
        meeting,
        "Programme changes",
        summary="MDF rules **simplified**.",
        public_after=services.today(),
    )
    return {"council": council.id, "item": item.id, "admin": admin.email, "member": member.email}


def test_feedback_meetings_and_public_pages_fit_and_pass_axe(live_server: LiveServer, new_context) -> None:
    seeded = live_server.run(_seed_feedback)
    base = f"/councils/{seeded['council']}"
    admin = new_context().new_page()
    _sign_in(admin, live_server, seeded["admin"])
    admin.goto(live_server(f"{base}/feedback"))
    expect(
        admin.get_by_role("heading", name="Waiting more than 14 days for a vendor response")
    ).to_be_visible()
    assert_fits_and_passes_axe(admin, "council feedback (admin, flagged)")
    admin.goto(live_server("/councils/feedback/overdue"))
    expect(admin.locator("#main")).to_contain_text("Deal registration is slow")
    assert_fits_and_passes_axe(admin, "council feedback waiting (admin)")
    admin.get_by_role("link", name="Deal registration is slow").first.click()
    admin.get_by_label("Status").select_option("planned")
    admin.get_by_label("Note (Markdown; required when declining)").fill("Planned for the spring release.")
    admin.get_by_role("button", name="Save response").click()
    expect(admin.get_by_text("Response recorded")).to_be_visible()
    assert_fits_and_passes_axe(admin, "council feedback item")

    member = new_context().new_page()
    _sign_in(member, live_server, seeded["member"])
    member.goto(live_server(f"{base}/feedback/{seeded['item']}"))
    expect(member.locator("#main")).to_contain_text("Planned for the spring release.")
    member.goto(live_server(f"{base}/meetings"))
    assert_fits_and_passes_axe(member, "council meetings")
    member.goto(live_server(f"{base}/public"))
    expect(member.locator("#main")).to_contain_text("MDF rules simplified.")
    assert_fits_and_passes_axe(member, "council public page")
