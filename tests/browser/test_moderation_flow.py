"""A moderator suspends a member from a flagged post in the review queue, and the audit
log names both of them with links. The queue fits a 360 px phone and a 1280 px desktop,
and the post menu opens from the keyboard-reachable <details> on the topic page."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from tests.browser.conftest import PLAYWRIGHT_ERROR, REQUIRE_BROWSER, LiveServer

if PLAYWRIGHT_ERROR and not REQUIRE_BROWSER:
    pytest.skip(PLAYWRIGHT_ERROR, allow_module_level=True)

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
# Screenshots for a reviewer's eyes, only when asked for (e.g. GUILDHALL_SHOTS=/tmp/shots).
SHOTS = os.environ.get("GUILDHALL_SHOTS")
OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"


def _seed() -> dict:
    from app.moderation import services
    from tests.factories import PASSWORD, make_post, make_topic, make_user

    moderator = make_user(role="moderator", display_name="Mona Moderator", email="mona@example.com")
    author = make_user(display_name="Sam Spammer")
    reporter = make_user(display_name="Rita Reporter")
    topic = make_topic(title="Partner onboarding checklist")
    make_post(topic, body="Here is our onboarding checklist for new partners.")
    post = make_post(topic, author=author, body="Cheap watches at example.net, buy now!")
    services.flag_post(reporter, post, "spam", "Same link in three topics today")
    return {
        "email": moderator.email,
        "password": PASSWORD,
        "moderator": moderator.display_name,
        "author": author.display_name,
        "author_username": author.username,
        "topic_id": topic.id,
        "post_id": post.id,
    }


def _sign_in(page: Page, server: LiveServer, email: str, password: str) -> None:
    page.goto(server("/login"))
    form = page.locator("#main form:has([name='password'])").first
    form.locator("[name=email]").fill(email)
    form.locator("[name=password]").fill(password)
    form.locator("button[type=submit], input[type=submit]").first.click()
    expect(page.locator(".site-header .user-menu")).to_have_count(1)


def _fits(page: Page, name: str) -> None:
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        # The resize reflows the page (and the header's fold script re-measures on the
        # resize event): let the layout settle before measuring, without a fixed sleep.
        # If it never settles, the assertion below reports the width that stayed.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(f"() => ({OVERFLOW_JS[6:]}) <= 0", timeout=5000)
        assert page.evaluate(OVERFLOW_JS) <= 0, f"{name} scrolls sideways at {viewport['width']} px"
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/{name}-{viewport['width']}.png", full_page=True)
    page.set_viewport_size(DESKTOP)


def test_a_moderator_suspends_a_member_from_a_flagged_post_in_the_queue_and_the_audit_log_names_both(
    live_server: LiveServer, page: Page
) -> None:
    seeded = live_server.run(_seed)
    page.set_viewport_size(DESKTOP)
    _sign_in(page, live_server, seeded["email"], seeded["password"])

    # The post menu on the topic page offers the moderator's actions.
    page.goto(live_server(f"/t/{seeded['topic_id']}"))
    menu = page.locator("#post-3 details.post-menu")
    menu.locator("summary").click()
    expect(menu.get_by_role("link", name="Hide")).to_be_visible()
    expect(menu.get_by_role("link", name="Delete")).to_be_visible()
    _fits(page, "topic-post-menu-open")

    # The queue shows the post in context, the reason and the author's record.
    page.goto(live_server("/mod/queue"))
    item = page.locator(f"#flagged-post-{seeded['post_id']}")
    expect(item.get_by_role("link", name="Partner onboarding checklist")).to_be_visible()
    expect(item).to_contain_text("Cheap watches at example.net")
    expect(item).to_contain_text("Same link in three topics today")
    expect(item).to_contain_text("0 earlier flags upheld")
    _fits(page, "moderation-queue")

    # One click: hide the post and suspend its author for 7 days.
    item.get_by_label("Suspend author for").select_option("7")
    item.get_by_role("button", name="Hide and suspend").click()
    expect(page.locator("body")).to_contain_text(f"{seeded['author']} suspended for 7 days")
    expect(page.locator("body")).to_contain_text("No flags waiting.")
    _fits(page, "moderation-queue-empty")
    page.reload()  # refreshing the result is the queue again, never a 405
    expect(page.locator("h1")).to_have_text("Review queue")

    # The audit log names both people, with links to their profiles.
    page.goto(live_server("/mod/audit?action=user.suspend"))
    row = page.locator("table.audit-log tbody tr").first
    expect(row.get_by_role("link", name=f"{seeded['moderator']} (@")).to_be_visible()
    target = row.get_by_role("link", name=f"{seeded['author']} (@{seeded['author_username']})")
    expect(target).to_have_attribute("href", f"/u/{seeded['author_username']}")
    expect(row).to_contain_text("Spam")
    _fits(page, "moderation-audit")

    # The member's profile shows the staff box with the suspension in their history.
    page.goto(live_server(f"/u/{seeded['author_username']}"))
    box = page.locator("#moderation-history")
    expect(box).to_contain_text("Suspended")
    expect(box).to_contain_text("user.suspend")
    expect(box.get_by_role("button", name="Lift suspension")).to_be_visible()
    _fits(page, "moderation-profile")
