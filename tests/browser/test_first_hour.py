"""The first hour of a partner employee, end to end in a real browser with CSRF on.

The administrator sets the accent colour and limits registration to email domains; a
new partner employee registers with an allowed address, confirms through the emailed
link (which signs them in), lands on the welcome page, asks to join the organization
their address suggests; the organization's admin approves from their requests page;
the new member then opens the members-only Partner Lounge, which refused them before.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.browser.checks import assert_fits_and_passes_axe
from tests.browser.conftest import PLAYWRIGHT_ERROR, REQUIRE_BROWSER, LiveServer

if PLAYWRIGHT_ERROR and not REQUIRE_BROWSER:
    pytest.skip(PLAYWRIGHT_ERROR, allow_module_level=True)

from playwright.sync_api import BrowserContext, Page, expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

CONFIRM_LINK = re.compile(r"https?://\S+?/confirm/\S+")
NEW_ACCENT = "#0f7b5f"


def _seed() -> dict:
    from app.forums.models import Topic
    from tests.factories import make_category, make_org, make_post, make_topic, make_user

    admin = make_user(role="admin", display_name="Ada Admin", email="ada@vendor.example")
    org = make_org(name="Northwind Systems", slug="northwind", email_domains=["northwind.example"])
    boss = make_user(
        organization=org, is_org_admin=True, display_name="Olga Owner", email="olga@northwind.example"
    )
    lounge = make_category(name="Partner Lounge", slug="partner-lounge", view_policy="members")
    topic = make_topic(category=lounge, title="Quarter-end pipeline swap", author=boss)
    make_post(topic, author=boss, body="Who has spare capacity for a data-centre move in March?")
    assert isinstance(topic, Topic)
    return {"admin": admin.email, "boss": boss.email, "org": org.slug, "lounge": lounge.slug}


def _sign_in(page: Page, server: LiveServer, email: str) -> None:
    page.goto(server("/login"))
    form = page.locator("#main form:has([name='password'])").first
    form.locator("[name=email]").fill(email)
    form.locator("[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").first.click()
    expect(page.locator(".site-header .user-menu")).to_have_count(1)


def _confirmation_path(server: LiveServer, email: str) -> str:
    from app.notifications.mail import outbox_messages

    for message in reversed(outbox_messages(server.app)):
        if message["To"] != email:
            continue
        match = CONFIRM_LINK.search(message.get_body(preferencelist=("plain",)).get_content())
        if match:
            return urlsplit(match.group(0)).path
    raise AssertionError(f"no confirmation link mailed to {email}")


def _accent(page: Page) -> str:
    return page.evaluate(
        "() => getComputedStyle(document.documentElement).getPropertyValue('--gh-accent').trim().toLowerCase()"
    )


def test_a_new_partner_employee_gets_from_registration_to_the_members_only_lounge(
    live_server: LiveServer, new_context
) -> None:
    seeded = live_server.run(_seed)

    # The administrator changes the accent colour and limits registration to domains.
    admin: BrowserContext = new_context()
    page = admin.new_page()
    _sign_in(page, live_server, seeded["admin"])
    page.goto(live_server("/admin/settings"))
    page.locator("input[type=color][name=accent_color]").fill(NEW_ACCENT)
    page.locator("input[type=radio][name=registration_mode][value=domains]").check()
    page.locator("textarea[name=registration_domains]").fill("northwind.example")
    page.locator("#main form button[type=submit]").last.click()
    expect(page.locator("#main")).to_contain_text("Saved 3 setting(s).")
    assert _accent(page) == NEW_ACCENT

    # A newcomer sees the new accent, and an address outside the domains is refused.
    newcomer: BrowserContext = new_context()
    page = newcomer.new_page()
    page.goto(live_server("/register"))
    assert _accent(page) == NEW_ACCENT
    form = page.locator("#main form:has([name='display_name'])")
    form.locator("[name=email]").fill("nina@elsewhere.example")
    form.locator("[name=display_name]").fill("Nina Newcomer")
    form.locator("[name=password]").fill(PASSWORD)
    form.locator("[name=confirm]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page.locator("#main")).to_contain_text("northwind.example")
    assert_fits_and_passes_axe(page, "register-refused-domain")

    # With an allowed address registration works and asks to check the inbox.
    form = page.locator("#main form:has([name='display_name'])")
    form.locator("[name=email]").fill("nina@northwind.example")
    form.locator("[name=password]").fill(PASSWORD)
    form.locator("[name=confirm]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page.locator("#main")).to_contain_text("nina@northwind.example")

    # The lounge is closed to a visitor: they are asked to sign in, not told "Not found".
    page.goto(live_server(f"/c/{seeded['lounge']}"))
    expect(page).to_have_url(re.compile(r"/login\?next="))

    # Confirming signs the member in and leads to the welcome page.
    page.goto(live_server(_confirmation_path(live_server, "nina@northwind.example")))
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    expect(page).to_have_url(re.compile(r"/welcome$"))
    expect(page.locator("h1")).to_have_text("Welcome, Nina Newcomer")
    expect(page.locator(".site-header .user-menu")).to_have_count(1)
    assert_fits_and_passes_axe(page, "welcome")

    # Signed in but in no organization yet, the lounge stays closed.
    response = page.goto(live_server(f"/c/{seeded['lounge']}"))
    assert response is not None and response.status in (403, 404)

    # The welcome page suggests the organization her address belongs to; she asks to join.
    page.goto(live_server("/welcome"))
    page.get_by_role("button", name="Ask to join Northwind Systems").click()
    assert_fits_and_passes_axe(page, "join-request-form")
    page.locator("#main textarea[name=note]").fill("I run the Leeds service desk.")
    page.locator("#main form button[type=submit]").first.click()
    expect(page.locator("#main")).to_contain_text("We have asked the admins of Northwind Systems")
    page.goto(live_server("/welcome"))
    expect(page.locator("#join-pending")).to_contain_text("Northwind Systems")
    assert_fits_and_passes_axe(page, "welcome-request-pending")

    # The organization's admin approves from their requests page.
    owner: BrowserContext = new_context()
    boss_page = owner.new_page()
    _sign_in(boss_page, live_server, seeded["boss"])
    boss_page.goto(live_server(f"/o/{seeded['org']}/requests"))
    expect(boss_page.locator("#main")).to_contain_text("I run the Leeds service desk.")
    assert_fits_and_passes_axe(boss_page, "organization-join-requests")
    boss_page.get_by_role("button", name=re.compile("Approve")).first.click()
    expect(boss_page.locator("#main")).to_contain_text("Nina Newcomer has joined Northwind Systems")

    # The new member now opens the lounge and reads its topic.
    page.goto(live_server(f"/c/{seeded['lounge']}"))
    expect(page.get_by_role("link", name="Quarter-end pipeline swap")).to_be_visible()


@pytest.mark.parametrize("mode", ["invitation", "domains"])
def test_the_registration_page_explains_a_closed_or_limited_registration(
    live_server: LiveServer, page: Page, mode: str
) -> None:
    def close_registration() -> None:
        from app.core.settings import update_settings
        from tests.factories import make_user

        update_settings(
            make_user(role="admin"),
            {"registration_mode": mode, "registration_domains": ["northwind.example"]},
        )

    live_server.run(close_registration)
    page.goto(live_server("/register"))
    expected = "invitation" if mode == "invitation" else "northwind.example"
    expect(page.locator("#main")).to_contain_text(expected)
    assert_fits_and_passes_axe(page, f"register-{mode}")
