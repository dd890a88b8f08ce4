"""Q&A in a real browser with CSRF on: ask (similar questions appear while typing) →
someone answers → the asker upvotes (fetch, no reload) → accepts → the question is
listed as solved."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PLAYWRIGHT_ERROR, REQUIRE_BROWSER

if PLAYWRIGHT_ERROR and not REQUIRE_BROWSER:
    pytest.skip(PLAYWRIGHT_ERROR, allow_module_level=True)

from playwright.sync_api import Page, expect

from app.extensions import db
from app.qa.models import QACategory
from tests.factories import PASSWORD, make_category, make_topic, make_user

pytestmark = pytest.mark.browser
QUESTION_URL = re.compile(r"/qa/q/\d+-")


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(base_url + "/login")
    form = page.locator("#main form:has([name='password'])").first
    form.locator("[name=email]").fill(email)
    form.locator("[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").first.click()
    expect(page.locator(".site-header .user-menu > summary")).to_be_visible()


@pytest.fixture
def people(live_server):
    def setup():
        category = make_category(name="Product Q&A", slug="product-qa")
        db.session.add(QACategory(category_id=category.id))
        old_author = make_user()
        make_topic(
            author=old_author, category=category, title="Renewing a partner tier early", slug="renewing"
        )
        return make_user(display_name="Ada Asker").email, make_user(display_name="Grace Answerer").email

    return live_server.run(setup)


def test_ask_answer_upvote_accept_shows_solved(live_server, new_context, people):
    base = live_server.url
    asker_email, answerer_email = people
    ada = new_context().new_page()
    sign_in(ada, base, asker_email)

    # Ask, seeing a similar question while typing the title.
    ada.goto(base + "/qa/ask")
    form = ada.locator("#main form.qa-ask-form")
    form.locator("[name=title]").press_sequentially("How do I renew my partner tier?", delay=10)
    expect(ada.locator("#qa-similar")).to_be_visible()
    expect(ada.locator("#qa-similar")).to_contain_text("Renewing a partner tier early")
    form.locator("[name=body]").fill("Our tier expires next month. What do we **need** to send?")
    form.locator("[name=tags]").fill("tiers renewals")
    form.locator("button[type=submit]").click()
    expect(ada).to_have_url(QUESTION_URL)
    expect(ada.locator("#main h1")).to_contain_text("How do I renew my partner tier?")
    question_url = ada.url

    # Grace answers.
    grace = new_context().new_page()
    sign_in(grace, base, answerer_email)
    grace.goto(question_url)
    answer_form = grace.locator("#answer form")
    answer_form.locator("[name=body]").fill("Send the renewal form to your channel manager.")
    answer_form.locator("button[type=submit]").click()
    expect(grace.locator(".qa-answers")).to_contain_text("Send the renewal form")

    # Ada upvotes the answer (in place, through fetch) and accepts it.
    ada.goto(question_url)
    answer = ada.locator(".qa-answers article.qa-post").first
    answer.get_by_role("button", name="Upvote").click()
    expect(answer.locator(".qa-score")).to_have_text("1")
    expect(answer.get_by_role("button", name="Remove upvote")).to_have_attribute("aria-pressed", "true")
    answer.get_by_role("button", name="Accept this answer").click()
    expect(ada.locator(".qa-accepted-answers")).to_contain_text("Send the renewal form")
    expect(ada.locator("#main h1")).to_contain_text("solved")

    # The list shows it as solved.
    ada.goto(base + "/qa?tab=solved")
    expect(ada.locator(".qa-list")).to_contain_text("How do I renew my partner tier?")
    expect(ada.locator(".qa-list .qa-solved-badge")).to_have_count(1)
