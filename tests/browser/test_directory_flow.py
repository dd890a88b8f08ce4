"""The directory and referrals in a real browser, CSRF on: filter the directory to MSPs
in a region → open a profile → connect → send that member's organization a referral →
the other side accepts the connection and the referral, works it and marks it won →
the sender sees the outcome."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PLAYWRIGHT_ERROR, REQUIRE_BROWSER

if PLAYWRIGHT_ERROR and not REQUIRE_BROWSER:
    pytest.skip(PLAYWRIGHT_ERROR, allow_module_level=True)

from playwright.sync_api import Page, expect

from app.directory import facets
from tests.browser.test_qa_flow import sign_in
from tests.factories import make_org, make_user

pytestmark = pytest.mark.browser
REFERRAL_URL = re.compile(r"/referrals/\d+$")


@pytest.fixture
def partners(live_server):
    def setup():
        northwind = make_org(name="Northwind Managed", slug="northwind", partner_type="msp", regions=["EMEA"])
        far_east = make_org(name="Far East Managed", slug="far-east", partner_type="msp", regions=["APAC"])
        contoso = make_org(
            name="Contoso Resellers", slug="contoso", partner_type="reseller", regions=["EMEA"]
        )
        rita = make_user(
            display_name="Rita Receiver", organization=northwind, region="EMEA", specialisms=["security"]
        )
        make_user(display_name="Paul Pacific", organization=far_east, region="APAC", specialisms=["security"])
        make_user(display_name="Rhys Reseller", organization=contoso, region="EMEA")
        sam = make_user(display_name="Sam Sender", organization=contoso, region="EMEA")
        facets.rebuild_all()
        return sam.email, rita.email

    return live_server.run(setup)


def _facet(page: Page, group: str, label: str):
    section = page.locator("section.directory-facet").filter(has=page.get_by_role("heading", name=group))
    return section.get_by_role("link", name=label)


def test_filter_connect_refer_accept_and_win(live_server, new_context, partners):
    base = live_server.url
    sam_email, rita_email = partners
    sam = new_context().new_page()
    sign_in(sam, base, sam_email)

    # The directory, filtered to managed service providers in EMEA.
    sam.goto(base + "/directory")
    expect(sam.locator(".directory-card")).to_have_count(4)
    _facet(sam, "Partner type", "Managed service provider").click()
    expect(sam.locator(".directory-card")).to_have_count(2)
    _facet(sam, "Region", "EMEA").click()
    expect(sam).to_have_url(re.compile(r"partner_type=msp.*region=EMEA|region=EMEA.*partner_type=msp"))
    cards = sam.locator(".directory-card")
    expect(cards).to_have_count(1)
    expect(cards).to_contain_text("Rita Receiver")

    # Her profile: connect.
    cards.get_by_role("link", name="Rita Receiver").click()
    expect(sam.locator("#main h1")).to_contain_text("Rita Receiver")
    sam.locator("summary", has_text="Connect").click()
    sam.locator("[name=message]").fill("We met at the EMEA partner summit.")
    sam.get_by_role("button", name="Send request").click()
    expect(sam.locator("#connection-state")).to_have_text("Pending")

    # A referral to her organization.
    sam.goto(base + "/referrals/new")
    sam.locator("[name=summary]").fill("Firewall refresh for 40 branches")
    sam.locator("[name=details]").fill("They need a **managed** rollout before summer.")
    sam.locator("[name=customer_name]").fill("Fabrikam Retail")
    sam.locator("[name=customer_region]").fill("EMEA")
    sam.locator("[name=customer_industry]").fill("retail")
    sam.locator("[name=specialisms]").fill("security")
    sam.locator("[name=estimated_value]").fill("48000")
    sam.locator("[name=currency]").select_option("EUR")
    sam.locator("[name=recipient]").select_option("northwind")
    sam.get_by_role("button", name="Send referral").click()
    expect(sam).to_have_url(REFERRAL_URL)
    referral_url = sam.url
    expect(sam.locator("#main h1")).to_have_text("Firewall refresh for 40 branches")

    # Rita is told about both, accepts the connection and works the referral to a win.
    rita = new_context().new_page()
    sign_in(rita, base, rita_email)
    rita.goto(base + "/notifications")
    expect(rita.locator("#main")).to_contain_text("Sam Sender asked to connect with you")
    expect(rita.locator("#main")).to_contain_text("Contoso Resellers")
    rita.goto(base + "/connections")
    rita.get_by_role("button", name=re.compile("Accept")).first.click()
    expect(rita.locator("#main")).to_contain_text("Sam Sender")

    rita.goto(referral_url)
    rita.get_by_role("button", name="Accept").click()
    expect(rita.locator("#main")).to_contain_text("Fabrikam Retail")
    rita.get_by_role("button", name="Start work").click()
    win = rita.locator("form", has=rita.get_by_role("button", name="Mark as won"))
    win.locator("[name=win-value]").fill("52000")
    win.get_by_role("button", name="Mark as won").click()
    expect(rita.locator("#main header")).to_contain_text("Won")

    # The sender sees the outcome, the timeline and the new connection.
    sam.goto(referral_url)
    expect(sam.locator("#main header")).to_contain_text("Won")
    expect(sam.locator("#main")).to_contain_text("52,000")
    sam.goto(base + "/connections")
    expect(sam.locator("#main")).to_contain_text("Rita Receiver")
