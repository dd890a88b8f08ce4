"""The editor and live topic pages in a real browser, with CSRF on and the strict CSP:
a member previews a reply (rendered by the server) and posts it; another member with
the topic open sees "1 new reply" arrive without a reload, and the author's header
count follows the reply to them."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PLAYWRIGHT_ERROR, REQUIRE_BROWSER

if PLAYWRIGHT_ERROR and not REQUIRE_BROWSER:
    pytest.skip(PLAYWRIGHT_ERROR, allow_module_level=True)

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, make_category, make_user

pytestmark = pytest.mark.browser


def _people_and_topic(live_server) -> str:
    def setup() -> str:
        from app.forums import services

        ada = make_user(email="ada@example.com", display_name="Ada", username="ada")
        make_user(email="bob@example.com", display_name="Bob", username="bob")
        category = make_category(name="General", slug="general")
        topic = services.create_topic(ada, category, "Live launch plans", "Who is coming?")
        return f"/t/{topic.id}-{topic.slug}"

    return live_server.run(setup)


def sign_in(page: Page, base: str, email: str) -> None:
    """Through the sign-in form; signed in once the page carries a CSRF meta tag (only
    members' pages do), whatever the header's layout."""
    page.goto(base + "/login")
    form = page.locator("#main form:has([name='password'])").first
    form.locator("[name=email]").fill(email)
    form.locator("[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").first.click()
    expect(page.locator('meta[name="csrf-token"]')).to_have_count(1)


def _open_live(page: Page, url: str, errors: list[str]) -> None:
    # Script errors and refused requests (CSP, 4xx, 5xx); browsers ask for a favicon.
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.goto(url)
    # live.js marks the page once the server has let this member into the topic's room.
    expect(page.locator("html")).to_have_attribute("data-live", "watching")


def test_a_previewed_reply_arrives_live_on_another_members_open_topic(live_server, new_context):
    base = live_server.url
    topic_path = _people_and_topic(live_server)
    errors: list[str] = []
    ada, bob = new_context().new_page(), new_context().new_page()
    sign_in(ada, base, "ada@example.com")
    sign_in(bob, base, "bob@example.com")
    _open_live(ada, base + topic_path, errors)
    _open_live(bob, base + topic_path, errors)

    # Bob previews his reply: the server renders it; nothing is posted yet.
    reply = bob.locator("#reply form")
    reply.locator("textarea[name=body]").fill("Count me **in**, <script>alert(1)</script>")
    reply.get_by_role("button", name="Preview").click()
    preview = reply.locator(".editor-preview")
    expect(preview.locator("strong")).to_have_text("in")
    expect(preview.locator("script")).to_have_count(0)
    expect(ada.locator("#live-topic button")).to_be_hidden()

    reply.get_by_role("button", name="Write").click()
    reply.get_by_role("button", name="Post reply").click()
    expect(bob.locator("#post-2")).to_contain_text("Count me in")

    # Ada never reloaded: the reply is announced, and her header count follows.
    new_replies = ada.locator("#live-topic button")
    expect(new_replies).to_have_text("1 new reply")
    expect(ada.locator("#notification-count")).to_have_text("1")
    url_before = ada.url
    new_replies.click()
    # Revealed in place: the same page, the new reply focused, the button gone.
    expect(ada.locator("#post-2")).to_contain_text("Count me in")
    expect(ada.locator("#post-2")).to_be_focused()
    expect(new_replies).to_be_hidden()
    assert ada.url == url_before
    assert errors == []


def test_a_draft_survives_a_reload_and_mentions_complete_from_the_keyboard(live_server, new_context):
    base = live_server.url
    topic_path = _people_and_topic(live_server)
    errors: list[str] = []
    bob = new_context().new_page()
    sign_in(bob, base, "bob@example.com")
    _open_live(bob, base + topic_path, errors)
    box = bob.locator("#reply textarea[name=body]")
    status = bob.locator("#reply .editor-status")

    # @mention autocomplete: a listbox tied to the box, driven by the keyboard.
    box.click()
    box.press_sequentially("Thanks @ad")
    option = bob.get_by_role("option", name="@ada Ada")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(bob.locator("#reply [role=listbox]")).to_be_visible()
    expect(box).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    box.press("Enter")
    expect(box).to_have_value("Thanks @ada ")
    expect(bob.locator("#reply [role=listbox]")).to_be_hidden()

    # The draft is saved as typed and restored after a reload, until discarded.
    box.press_sequentially("see you there")
    expect(status).to_have_text("Draft saved.")
    bob.reload()
    expect(bob.locator("#reply textarea[name=body]")).to_have_value("Thanks @ada see you there")
    expect(status).to_have_text("Draft restored.")
    bob.get_by_role("button", name="Discard draft").click()
    expect(status).to_have_text("Draft discarded.")
    bob.reload()
    expect(bob.locator("#reply textarea[name=body]")).to_have_value("")
    assert errors == []
