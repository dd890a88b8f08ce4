"""Live chat in a real browser: two people chat in a channel and by direct message,
through the vendored Socket.IO client, with CSRF on and the strict CSP."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PLAYWRIGHT_ERROR, REQUIRE_BROWSER

if PLAYWRIGHT_ERROR and not REQUIRE_BROWSER:
    pytest.skip(PLAYWRIGHT_ERROR, allow_module_level=True)

from playwright.sync_api import Page, expect

from tests.browser.test_main_flow import sign_in
from tests.factories import make_user

pytestmark = pytest.mark.browser


def _people_and_room(live_server) -> int:
    def setup() -> int:
        from app.chat import channels

        ada = make_user(email="ada@example.com", display_name="Ada", username="ada")
        bob = make_user(email="bob@example.com", display_name="Bob", username="bob")
        room = channels.create_channel(ada, "General")
        channels.invite_member(ada, room, bob)
        return room.id

    return live_server.run(setup)


def _open_chat(page: Page, base: str, room_id: int, errors: list[str]) -> None:
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base}/chat/?channel={room_id}")
    expect(page.locator("#chat-status")).to_have_text("Connected")
    expect(page.locator("#chat-room-name")).to_have_text("# General")


def _send(page: Page, text: str) -> None:
    page.locator("#chat-input").fill(text)
    page.locator("#chat-send-form button[type=submit]").click()


def test_two_people_chat_in_a_channel_and_by_direct_message(live_server, new_context):
    base = live_server.url
    room_id = _people_and_room(live_server)
    errors: list[str] = []
    ada, bob = new_context().new_page(), new_context().new_page()
    sign_in(ada, base, "ada@example.com")
    sign_in(bob, base, "bob@example.com")
    _open_chat(ada, base, room_id, errors)
    _open_chat(bob, base, room_id, errors)

    _send(ada, "Hello **Bob**")
    expect(bob.locator("#chat-messages li").last.locator("strong", has_text="Bob")).to_be_visible()
    _send(bob, "Hi Ada")
    expect(ada.locator("#chat-messages li").last).to_contain_text("Hi Ada")
    expect(ada.locator("#chat-online")).to_have_text("2 members online")

    # A direct message: Ada starts it, Bob's sidebar learns of it and he answers.
    ada.locator("summary", has_text="New direct message").click()
    ada.get_by_label("Usernames").fill("bob")
    ada.get_by_role("button", name="Start conversation").click()
    expect(ada.locator("#chat-room-name")).to_have_text("Bob")
    _send(ada, "Just between us")
    dm_link = bob.locator("#chat-dms a", has_text="Ada")
    expect(dm_link).to_be_visible()
    expect(dm_link.locator(".badge")).to_have_text("1")
    dm_link.click()
    expect(bob.locator("#chat-messages li").last).to_contain_text("Just between us")
    _send(bob, "Agreed")
    expect(ada.locator("#chat-messages li").last).to_contain_text("Agreed")

    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_a_batch_of_messages_shows_in_order_and_counts_as_unread_elsewhere(live_server, new_context):
    """A busy room's messages stored together reach browsers as one ``new_messages``
    event: the open room shows each of them in order, and a room that is not open
    counts the ones from other people in its badge."""
    base = live_server.url
    room_id = _people_and_room(live_server)

    def second_room() -> int:
        from app.accounts.models import User
        from app.chat import channels

        ada = User.query.filter_by(username="ada").one()
        bob = User.query.filter_by(username="bob").one()
        other = channels.create_channel(ada, "Partners")
        channels.invite_member(ada, other, bob)
        return other.id

    other_id = live_server.run(second_room)
    errors: list[str] = []
    bob = new_context().new_page()
    sign_in(bob, base, "bob@example.com")
    _open_chat(bob, base, room_id, errors)
    expect(bob.locator(f"#channel-unread-{other_id}")).to_be_attached()

    def store_together() -> None:
        from app.accounts.models import User
        from app.chat import channels, messages

        ada = User.query.filter_by(username="ada").one()
        bob_user = User.query.filter_by(username="bob").one()
        room, other = channels.get_channel(ada, room_id), channels.get_channel(ada, other_id)
        drafts = [
            messages.prepare_message(ada, room, "first of three"),
            messages.prepare_message(ada, other, "elsewhere one"),
            messages.prepare_message(ada, room, "second of three"),
            messages.prepare_message(bob_user, other, "Bob's own, not unread"),
            messages.prepare_message(ada, other, "elsewhere two"),
            messages.prepare_message(ada, room, "third of three"),
        ]
        outcomes = messages.store_batch(drafts)
        assert all(isinstance(outcome, messages.Stored) for outcome in outcomes)

    live_server.run(store_together)  # committed: one new_messages event per room
    items = bob.locator("#chat-messages li")
    expect(items.last).to_contain_text("third of three")
    texts = items.all_inner_texts()
    order = [next(i for i, text in enumerate(texts) if body in text) for body in ("first", "second", "third")]
    assert order == sorted(order), texts
    expect(bob.locator(f"#channel-unread-{other_id}")).to_have_text("2")
    assert not errors, errors
