"""The main flow in a real browser, with CSRF on: join, confirm, sign in, start a topic,
get a reply from someone else, see the notification. Plus the CSP and keyboard checks.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import PLAYWRIGHT_ERROR, REQUIRE_BROWSER

if PLAYWRIGHT_ERROR and not REQUIRE_BROWSER:
    pytest.skip(PLAYWRIGHT_ERROR, allow_module_level=True)

from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect

from app.notifications.mail import outbox_messages
from tests.factories import PASSWORD, make_category, make_topic, make_user

pytestmark = pytest.mark.browser

CONFIRM_LINK = re.compile(r"https?://\S+?/confirm/\S+")
TOPIC_URL = re.compile(r"/t/\d+")


def _form_with(page: Page, field: str):
    """The form in the main area holding ``field`` (the header has forms too)."""
    return page.locator(f"#main form:has([name='{field}'])").first


def _submit(form) -> None:
    form.locator("button[type=submit], input[type=submit]").first.click()


def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base_url + "/login")
    form = _form_with(page, "password")
    form.locator("[name=email]").fill(email)
    form.locator("[name=password]").fill(password)
    _submit(form)
    expect_signed_in(page)


def expect_signed_in(page: Page) -> None:
    """Signed in = the header shows the account menu (sign-out lives inside it)."""
    expect(page.locator(".site-header .user-menu > summary")).to_be_visible()


def sign_out(page: Page) -> None:
    page.locator(".site-header .user-menu > summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def confirmation_path(live_server, email: str) -> str:
    """The path of the confirmation link mailed to ``email`` (read from the outbox)."""
    for message in reversed(outbox_messages(live_server.app)):
        if message["To"] != email:
            continue
        match = CONFIRM_LINK.search(message.get_body(preferencelist=("plain",)).get_content())
        if match:
            return urlsplit(match.group(0)).path
    raise AssertionError(f"no confirmation link mailed to {email}")


@pytest.fixture
def category(live_server) -> str:
    return live_server.run(lambda: make_category(name="General", slug="general").slug)


def test_join_post_get_a_reply_and_see_the_notification(live_server, new_context, category):
    base = live_server.url
    email = "ada@example.com"
    ada: BrowserContext = new_context()
    page = ada.new_page()

    # Join.
    page.goto(base + "/register")
    form = _form_with(page, "display_name")
    form.locator("[name=email]").fill(email)
    form.locator("[name=display_name]").fill("Ada Lovelace")
    form.locator("[name=password]").fill(PASSWORD)
    form.locator("[name=confirm]").fill(PASSWORD)
    _submit(form)
    expect(page.locator("#main [name=display_name]")).to_have_count(0)  # the form was accepted

    # Confirm from the mailed link.
    # The link opens a page with one button (link scanners that prefetch GETs must not
    # spend the token); pressing it confirms.
    page.goto(base + confirmation_path(live_server, email))
    _submit(page.locator("#main form").first)
    expect(page.locator("#main")).to_contain_text("confirmed")

    # Sign in (confirming may already have signed us in; then sign out first).
    if page.locator(".site-header .user-menu").count():
        sign_out(page)
    sign_in(page, base, email)

    # Start a topic.
    page.goto(f"{base}/c/{category}/new")
    form = _form_with(page, "title")
    form.locator("[name=title]").fill("How do I renew my partner tier?")
    form.locator("[name=body]").fill("Our tier expires next month. What do we **need** to send?")
    _submit(form)
    expect(page).to_have_url(TOPIC_URL)
    expect(page.locator("#main h1")).to_contain_text("How do I renew my partner tier?")
    topic_url = page.url

    # Someone else replies.
    grace_email = live_server.run(lambda: make_user(display_name="Grace Hopper").email)
    grace = new_context().new_page()
    sign_in(grace, base, grace_email)
    grace.goto(topic_url)
    form = _form_with(grace, "body")
    form.locator("[name=body]").fill("Send the renewal form to your channel manager.")
    _submit(form)
    expect(grace.locator("#main")).to_contain_text("Send the renewal form to your channel manager.")

    # Ada sees it.
    page.goto(base + "/")
    expect(page.locator("#notification-count")).to_have_text("1")
    page.goto(base + "/notifications/")
    expect(page.locator("#main")).to_contain_text("replied")
    expect(page.locator("#main")).to_contain_text("Grace Hopper")


def _collect_console(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_content_security_policy_blocks_nothing_on_the_main_pages(live_server, new_context, category):
    base = live_server.url

    def seed() -> tuple[str, str]:
        author = make_user(display_name="Seed Author")
        topic = make_topic(author=author, title="Welcome to the forum")
        return author.email, f"/t/{topic.id}"

    email, topic_path = live_server.run(seed)
    anonymous_paths = ["/", "/categories", f"/c/{category}", topic_path, "/login", "/register"]
    signed_in_paths = ["/", topic_path, f"/c/{category}/new", "/notifications/"]

    visitor = new_context().new_page()
    problems = _collect_console(visitor)
    for path in anonymous_paths:
        response = visitor.goto(base + path)
        assert response is not None and response.status < 400, (
            f"{path} answered {response and response.status}"
        )
        expect(visitor.locator("#main")).to_be_visible()

    member = new_context().new_page()
    problems += _collect_console(member)
    sign_in(member, base, email)
    for path in signed_in_paths:
        response = member.goto(base + path)
        assert response is not None and response.status < 400, (
            f"{path} answered {response and response.status}"
        )
        expect(member.locator("#main")).to_be_visible()

    blocked = [text for text in problems if "Content Security Policy" in text or "Refused to" in text]
    assert blocked == []


def _focused_name(page: Page) -> str | None:
    return page.evaluate("() => document.activeElement && document.activeElement.getAttribute('name')")


def test_keyboard_reaches_the_sign_in_form_and_enter_submits(live_server, page: Page):
    email = live_server.run(lambda: make_user().email)
    page.goto(live_server.url + "/login")

    for _ in range(40):  # skip link, header links, then the form
        page.keyboard.press("Tab")
        if _focused_name(page) == "email":
            break
    assert _focused_name(page) == "email", "Tab never reached the email field"
    assert page.evaluate("() => document.activeElement.labels.length") > 0, "email field has no label"
    page.keyboard.type(email)

    page.keyboard.press("Tab")
    assert _focused_name(page) == "password"
    assert page.evaluate("() => document.activeElement.labels.length") > 0, "password field has no label"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect_signed_in(page)


@pytest.mark.app_config(PAGE_CACHE_SECONDS=300)
def test_anonymous_reader_sees_a_new_reply_through_the_page_cache(live_server, new_context, category):
    from app.core.pagecache import cache_page

    app = live_server.app
    for endpoint in ("forums.latest", "forums.topic"):
        if not getattr(app.view_functions[endpoint], "page_cache_applied", False):
            app.view_functions[endpoint] = cache_page(app.view_functions[endpoint])

    def seed() -> tuple[str, str]:
        author = make_user()
        topic = make_topic(author=author, title="Cached in the browser")
        return author.email, f"/t/{topic.id}-{topic.slug}"

    email, topic_path = live_server.run(seed)
    reader = new_context().new_page()
    first = reader.goto(live_server(topic_path))
    second = reader.goto(live_server(topic_path))
    assert first is not None and second is not None
    assert second.headers.get("x-page-cache") == "hit"

    member = new_context().new_page()
    sign_in(member, live_server.url, email)
    member.goto(live_server(topic_path))
    form = _form_with(member, "body")
    form.locator("[name=body]").fill("Fresh news for the cache.")
    _submit(form)
    expect(member.locator("#main")).to_contain_text("Fresh news for the cache.")

    reader.goto(live_server(topic_path))
    expect(reader.locator("#main")).to_contain_text("Fresh news for the cache.")
    expect(reader.locator(".site-header .user-menu")).to_have_count(0)


@pytest.mark.app_config(PAGE_CACHE_SECONDS=300)
def test_signed_in_member_sees_a_reply_and_its_notification_through_the_page_cache(
    live_server, new_context, category
):
    """The author's own cached topic page gives way to a reply and its notification."""

    def seed() -> tuple[str, str, str]:
        author, replier = make_user(), make_user()
        topic = make_topic(author=author, title="Cached for its author")
        return author.email, replier.email, f"/t/{topic.id}-{topic.slug}"

    author_email, replier_email, topic_path = live_server.run(seed)
    author = new_context().new_page()
    sign_in(author, live_server.url, author_email)
    responses = [author.goto(live_server(topic_path)) for _ in range(3)]
    assert all(response is not None for response in responses)
    assert responses[-1].headers.get("x-page-cache") == "hit"  # type: ignore[union-attr]
    expect(author.locator("#notification-count")).to_have_count(0)

    replier = new_context().new_page()
    sign_in(replier, live_server.url, replier_email)
    replier.goto(live_server(topic_path))
    form = _form_with(replier, "body")
    form.locator("[name=body]").fill("A reply the author must see.")
    _submit(form)
    expect(replier.locator("#main")).to_contain_text("A reply the author must see.")

    again = author.goto(live_server(topic_path))
    assert again is not None and again.headers.get("x-page-cache") != "hit"
    expect(author.locator("#main")).to_contain_text("A reply the author must see.")
    expect(author.locator("#notification-count")).to_have_text("1")
