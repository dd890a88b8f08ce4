"""Uploads and who-is-who in a real browser, with CSRF on and the strict CSP: a member
sets an avatar, pastes an image into a reply, previews and posts it; another member,
with the topic open, sees "1 new reply" arrive with the author's picture, organization
and tier, opens the user card from the keyboard, and the image loads. Directory cards
are compact enough that 12 people fit in about two desktop screens."""

from __future__ import annotations

import base64
import re

import pytest

from tests.browser.conftest import PLAYWRIGHT_ERROR, REQUIRE_BROWSER

if PLAYWRIGHT_ERROR and not REQUIRE_BROWSER:
    pytest.skip(PLAYWRIGHT_ERROR, allow_module_level=True)

from playwright.sync_api import Page, expect

from tests.browser.test_live_topic import _open_live, sign_in
from tests.factories import make_category, make_org, make_user
from tests.uploads.conftest import image_bytes

pytestmark = pytest.mark.browser

PASTE = """(b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], "screenshot.png", { type: "image/png" }));
  const box = document.querySelector("#reply textarea[name=body]");
  box.focus();
  box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
}"""


def _setup(live_server) -> str:
    def setup() -> str:
        from app.forums import services

        acme = make_org(name="Acme Networks", slug="acme", partner_type="msp", tier="platinum")
        ada = make_user(
            email="ada@example.com", display_name="Ada Lovelace", username="ada", organization=acme
        )
        make_user(email="bob@example.com", display_name="Bob", username="bob")
        topic = services.create_topic(ada, make_category(name="General", slug="general"), "Rollout", "Plans?")
        return f"/t/{topic.id}-{topic.slug}"

    return live_server.run(setup)


def test_avatar_then_a_pasted_image_reply_arrives_live_with_organization_and_tier(live_server, new_context):
    base = live_server.url
    topic_path = _setup(live_server)
    errors: list[str] = []
    ada, bob = new_context().new_page(), new_context().new_page()
    sign_in(ada, base, "ada@example.com")
    sign_in(bob, base, "bob@example.com")

    # Ada sets her picture on the profile settings page.
    ada.goto(base + "/settings/profile")
    ada.locator("#avatar-file").set_input_files(
        {"name": "me.jpg", "mimeType": "image/jpeg", "buffer": image_bytes("JPEG", size=(300, 200))}
    )
    ada.get_by_role("button", name="Save picture").click()
    expect(ada.locator(".user-menu summary img.avatar")).to_have_attribute(
        "src", re.compile(r"/uploads/\d+/avatar.webp")
    )

    _open_live(ada, base + topic_path, errors)
    _open_live(bob, base + topic_path, errors)

    # Ada pastes a screenshot: it is uploaded and its Markdown lands in the reply.
    ada.evaluate(PASTE, base64.b64encode(image_bytes("PNG", size=(120, 80))).decode())
    box = ada.locator("#reply textarea[name=body]")
    expect(box).to_have_value(re.compile(r"!\[screenshot\]\(/uploads/\d+/screenshot.png\)\n"))
    expect(ada.locator("#reply .upload-status")).to_have_text("screenshot.png attached.")
    box.press("End")
    box.press_sequentially("Here is the dashboard.")
    reply = ada.locator("#reply form")
    reply.get_by_role("button", name="Preview").click()
    expect(reply.locator(".editor-preview img")).to_have_attribute(
        "src", re.compile(r"/uploads/\d+/screenshot.png")
    )
    reply.get_by_role("button", name="Write").click()
    reply.get_by_role("button", name="Post reply").click()
    expect(ada.locator("#post-2 .post-body img")).to_have_count(1)

    # Bob never reloaded: the reply is announced; revealed, it names Ada's organization and tier.
    bob.locator("#live-topic button").click()
    post = bob.locator("#post-2")
    expect(post.locator(".author-line")).to_contain_text("Acme Networks")
    expect(post.locator(".author-org .tier")).to_contain_text("Platinum")
    expect(post.locator(".author-line summary img.avatar")).to_have_count(1)
    image = post.locator(".post-body img")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 120

    # The user card opens from the keyboard and closes with Escape.
    toggle = post.locator(".usercard summary")
    toggle.focus()
    bob.keyboard.press("Enter")
    panel = post.locator(".usercard-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Managed service provider")
    bob.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(toggle).to_be_focused()
    assert errors == []


def test_twelve_directory_cards_fit_in_about_two_desktop_screens(live_server, page: Page):
    def setup() -> None:
        from tests.directory.conftest import refresh

        for n in range(12):
            org = make_org(name=f"Partner {n}", slug=f"partner-{n}", tier="gold")
            make_user(
                display_name=f"Person Number {n}",
                job_title="Solutions architect",
                organization=org,
                region="EMEA",
                country="Germany",
                languages=["English", "German"],
                specialisms=["networking", "security", "cloud", "sso", "backup", "voice"],
            )
        refresh()

    live_server.run(setup)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + "/directory?per_page=12")
    cards = page.locator(".directory-card")
    expect(cards).to_have_count(12)
    bottom = cards.nth(11).evaluate("card => card.getBoundingClientRect().bottom + window.scrollY")
    assert bottom <= 1700, bottom
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
