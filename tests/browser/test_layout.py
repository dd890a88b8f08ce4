"""Every main page, signed out and signed in, on a 360 px phone and a 1280 px desktop:
nothing scrolls sideways, the desktop header stays on one row, and axe-core finds no
serious or critical accessibility violation.

One server with the demo data (``flask seed-demo``'s content: long titles, tables,
referrals, Q&A) serves the whole module; one browser context per role is signed in once
and its page reused, so ~70 page views stay quick.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.browser.checks import DESKTOP, PHONE, axe_violations
from tests.browser.conftest import PLAYWRIGHT_ERROR, REQUIRE_BROWSER, LiveServer, serve

if PLAYWRIGHT_ERROR and not REQUIRE_BROWSER:
    pytest.skip(PLAYWRIGHT_ERROR, allow_module_level=True)

from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser


# Pages anyone may open; signed-in people see the same pages with their own header.
PUBLIC_PAGES = [
    "latest",
    "categories",
    "category",
    "topic",
    "qa",
    "question",
    "qa_tags",
    "search",
    "directory",
    "experts",
    "profile",
    "organizations",
    "organization",
]
SIGNED_OUT_PAGES = [*PUBLIC_PAGES, "login", "register", "forgot_password"]
MEMBER_PAGES = [
    *PUBLIC_PAGES,
    "new_topic",
    "ask",
    "connections",
    "following",
    "referrals",
    "referral",
    "new_referral",
    "chat",
    "notifications",
    "notification_settings",
    "profile_settings",
    "password_settings",
    "directory_settings",
    "org_join_requests",
]
# A newcomer: confirmed, in no organization yet, with a request to join pending.
NEWCOMER_PAGES = ["welcome", "join_organization", "organizations"]
MODERATOR_PAGES = ["latest", "moderation_queue", "audit_log"]
ADMIN_PAGES = [
    "latest",
    "admin_categories",
    "qa_admin_categories",
    "qa_admin_settings",
    "directory_fields",
    "admin_dashboard",
    "admin_users",
    "admin_user",
    "admin_organizations",
    "admin_organization",
    "admin_settings",
    "admin_email",
    "admin_plugins",
    "admin_audit",
]
# The councils plug-in (the demo's EMEA and global councils): alice chairs the EMEA one
# (the chair's forms), grace sits on it (the member's view, and applies to the global
# one), bob sits on none (only released summaries).
COUNCIL_CHAIR_PAGES = [
    "councils",
    "council",
    "council_meetings",
    "council_meeting",
    "council_motions",
    "council_motion",
    "council_feedback",
    "council_feedback_item",
    "council_applications",
    "council_documents",
    "council_document",
]
COUNCIL_MEMBER_PAGES = [
    "councils",
    "council",
    "council_meeting",
    "council_motion",
    "council_feedback",
    "council_documents",
    "council_document",
    "council_forum",  # the council's private forum category (grace's and alice's topics)
    "council_apply",
    "profile",  # alice's seat, in the panel a fellow member sees
    "organization",
]
PARTNER_PAGES = ["councils", "council_public"]
COUNCIL_ADMIN_PAGES = [
    "new_council",
    "council_applications_global",
    "council_feedback_overdue",
    "council_global_feedback",
]
# The groups plug-in (the demo's three groups, all organized by the demo mentor): the
# mentor's leaders' page with frank's request, alice's view as a member, bob's as an
# invitee of the hidden group, and the admin's form.
GROUP_LEADER_PAGES = ["groups", "group", "group_lead", "group_members_only"]
GROUP_MEMBER_PAGES = ["groups", "group", "group_forum"]
GROUP_INVITEE_PAGES = ["groups", "group_invited"]
GROUP_ADMIN_PAGES = ["new_group", "group_leaders_review", "group_edit", "group_lead_admin"]

ROLE_LOGINS = {
    "visitor": None,
    "member": ("alice@guildhall.example", "guildhall-demo"),
    "newcomer": ("nina@guildhall.example", "guildhall-demo"),
    "moderator": ("moderator@guildhall.example", "guildhall-mod"),
    "admin": ("admin@guildhall.example", "guildhall-admin"),
    "council_member": ("grace@guildhall.example", "guildhall-demo"),
    "partner": ("bob@guildhall.example", "guildhall-demo"),
    "mentor": ("mentor@guildhall.example", "guildhall-mentor"),
}
CASES = [
    *(("visitor", name) for name in SIGNED_OUT_PAGES),
    *(("member", name) for name in MEMBER_PAGES),
    *(("newcomer", name) for name in NEWCOMER_PAGES),
    *(("moderator", name) for name in MODERATOR_PAGES),
    *(("admin", name) for name in ADMIN_PAGES),
    *(("member", name) for name in COUNCIL_CHAIR_PAGES),
    *(("council_member", name) for name in COUNCIL_MEMBER_PAGES),
    *(("partner", name) for name in PARTNER_PAGES),
    *(("admin", name) for name in COUNCIL_ADMIN_PAGES),
    *(("mentor", name) for name in GROUP_LEADER_PAGES),
    *(("member", name) for name in GROUP_MEMBER_PAGES),
    *(("partner", name) for name in GROUP_INVITEE_PAGES),
    *(("admin", name) for name in GROUP_ADMIN_PAGES),
]
CASE_IDS = [f"{role}-{name}" for role, name in CASES]

# Measured in the page: sideways overflow, and the elements that stick out past the
# viewport (named so a failure says where to look).
OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const culprits = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1 && culprits.length < 5) {
      culprits.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
        ' right=' + Math.round(r.right));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, culprits};
}"""

# The header's visible items (links, buttons, the search box and the menus' summaries;
# nothing inside a closed menu has a box) must share one row: each one's vertical extent
# crosses the middle line of the brand.
HEADER_ROW_JS = """() => {
  const header = document.querySelector('.site-header');
  const brand = header.querySelector('.brand');
  const b = brand.getBoundingClientRect();
  const middle = b.top + b.height / 2;
  const items = [...header.querySelectorAll('a, button, input, summary')]
    .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
    .filter(el => !el.closest('details:not([open]) > :not(summary)'));
  const off = items.filter(el => { const r = el.getBoundingClientRect(); return r.top > middle || r.bottom < middle; })
    .map(el => (el.textContent || el.getAttribute('aria-label') || el.name || el.tagName).trim().slice(0, 30));
  return {offRow: off, count: items.length, headerHeight: header.getBoundingClientRect().height,
          folded: !!header.querySelector('.nav-collapsed')};
}"""


@dataclass
class Site:
    server: LiveServer
    paths: dict[str, str]
    pages: dict[str, Page]


def _seed_demo(app: Flask) -> dict[str, str]:
    """Load the demo community and return the paths of the pages under test."""
    from app.accounts.models import Organization, User
    from app.chat import channels, messages
    from app.demo import DEMO_DOMAIN, MEMBER_PASSWORD, seed_base
    from app.demo_activity import seed_activity_demo
    from app.directory.directory_demo import seed_directory_demo
    from app.extensions import db
    from app.forums.models import Category, Topic
    from app.plugins import plugin_manager
    from app.qa.demo import seed_qa_demo
    from app.referrals.demo import seed_referral_demo
    from app.referrals.models import Referral
    from app.search import rebuild

    seed_base()
    seed_qa_demo()
    seed_referral_demo()
    seed_directory_demo()
    seed_activity_demo(DEMO_DOMAIN, MEMBER_PASSWORD)  # the newcomer and her join request
    plugin_manager(app).hook.seed_demo_data()  # the councils and the groups
    db.session.commit()
    alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
    room = channels.create_channel(alice, "Partner launches", topic="What ships this quarter")
    messages.post_message(alice, room, "Welcome! **Launch dates** go here.")
    db.session.commit()
    rebuild.reindex(app)

    def first_topic(slug: str) -> int:
        query = (
            sa.select(Topic.id)
            .join(Category, Topic.category_id == Category.id)
            .where(Category.slug == slug)
            .order_by(sa.func.length(Topic.title).desc())
        )
        return db.session.scalars(query).first()

    org = db.session.scalar(sa.select(Organization).where(Organization.id == alice.organization_id))
    other_org = db.session.scalars(
        sa.select(Organization).where(Organization.id != org.id).order_by(Organization.id)
    ).first()
    referral = db.session.scalars(
        sa.select(Referral.id).where(
            sa.or_(Referral.sender_org_id == org.id, Referral.recipient_org_id == org.id)
        )
    ).first()
    return {
        "latest": "/",
        "categories": "/categories",
        "category": "/c/general",
        "topic": f"/t/{first_topic('general')}",
        "qa": "/qa",
        "question": f"/qa/q/{first_topic('questions')}",
        "qa_tags": "/qa/tags",
        "search": "/search?q=partner",
        "directory": "/directory",
        "experts": "/directory/experts",
        "profile": "/u/alice",
        "organizations": "/orgs",
        "organization": f"/o/{org.slug}",
        "login": "/login",
        "register": "/register",
        "forgot_password": "/password/forgot",
        "new_topic": "/new-topic",
        "ask": "/qa/ask",
        "connections": "/connections",
        "following": "/following",
        "referrals": "/referrals",
        "referral": f"/referrals/{referral}",
        "new_referral": "/referrals/new",
        "chat": "/chat/",
        "notifications": "/notifications/",
        "notification_settings": "/notifications/preferences",
        "profile_settings": "/settings/profile",
        "password_settings": "/settings/password",
        "directory_settings": "/settings/directory",
        "moderation_queue": "/mod/queue",
        "audit_log": "/mod/audit",
        "admin_categories": "/admin/categories",
        "qa_admin_categories": "/qa/admin/categories",
        "qa_admin_settings": "/qa/admin/settings",
        "directory_fields": "/admin/directory/fields",
        "org_join_requests": f"/o/{org.slug}/requests",
        "welcome": "/welcome",
        "join_organization": f"/o/{other_org.slug}/join",
        "admin_dashboard": "/admin/",
        "admin_users": "/admin/users?q=a",
        "admin_user": "/admin/users/alice",
        "admin_organizations": "/admin/organizations",
        "admin_organization": f"/admin/organizations/{org.id}",
        "admin_settings": "/admin/settings",
        "admin_email": "/admin/email",
        "admin_plugins": "/admin/plugins",
        "admin_audit": "/admin/audit",
        **_council_paths(),
        **_group_paths(),
    }


def _council_paths() -> dict[str, str]:
    """Pages of the demo's councils (seeded by the councils plug-in's demo hook)."""
    from app.extensions import db
    from app.forums.models import Category
    from app.plugins.councils.meeting_models import CouncilFeedback, CouncilMeeting, CouncilMotion
    from app.plugins.councils.models import Council, CouncilDocument

    def council(name: str) -> int:
        return db.session.scalar(sa.select(Council.id).where(Council.name.like(f"{name} %")))

    emea, world = council("EMEA"), council("Global")

    def first(model, *order) -> int:
        return db.session.scalars(
            sa.select(model.id).where(model.council_id == emea).order_by(*order)
        ).first()

    base = f"/councils/{emea}"
    return {
        "councils": "/councils/",
        "council": base,
        "council_meetings": f"{base}/meetings",
        "council_meeting": f"{base}/meetings/{first(CouncilMeeting, CouncilMeeting.starts_at)}",
        "council_motions": f"{base}/motions",
        "council_motion": f"{base}/motions/{first(CouncilMotion, CouncilMotion.closed_at.is_(None))}",
        "council_feedback": f"{base}/feedback",
        "council_feedback_item": f"{base}/feedback/{first(CouncilFeedback, CouncilFeedback.id)}",
        "council_applications": f"{base}/applications",
        "council_documents": f"{base}/documents",
        "council_document": f"{base}/documents/{first(CouncilDocument, CouncilDocument.kind != 'note', CouncilDocument.id)}",
        "council_applications_global": f"/councils/{world}/applications",
        "council_apply": f"/councils/{world}/apply",
        "council_public": f"{base}/public",
        "council_forum": "/c/"
        + db.session.scalar(
            sa.select(Category.slug).where(Category.space_type == "council", Category.space_id == emea)
        ),
        "new_council": "/councils/new",
        "council_feedback_overdue": "/councils/feedback/overdue",
        "council_global_feedback": f"/councils/{world}/feedback",
    }


def _group_paths() -> dict[str, str]:
    """Pages of the demo's groups (seeded by the groups plug-in's demo hook)."""
    from app.extensions import db
    from app.forums.models import Category
    from app.plugins.groups.models import Group

    emea = db.session.scalar(sa.select(Group.id).where(Group.slug == "emea-msps"))
    return {
        "groups": "/groups/",
        "group": "/groups/emea-msps",
        "group_lead": "/groups/north-america-resellers/lead",
        "group_members_only": "/groups/north-america-resellers",
        "group_invited": "/groups/security-circle",
        "group_forum": "/c/"
        + db.session.scalar(
            sa.select(Category.slug).where(Category.space_type == "group", Category.space_id == emea)
        ),
        "new_group": "/groups/new",
        "group_leaders_review": "/groups/admin/leaders",
        "group_edit": "/groups/emea-msps/edit",
        "group_lead_admin": "/groups/emea-msps/lead",  # with the automatic membership rules
    }


def _sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(base + "/login")
    form = page.locator("#main form:has([name='password'])").first
    form.locator("[name=email]").fill(email)
    form.locator("[name=password]").fill(password)
    form.locator("button[type=submit], input[type=submit]").first.click()
    expect(page.locator(".site-header .user-menu")).to_have_count(1)


@pytest.fixture(scope="module")
def site(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with serve(tmp_path_factory.mktemp("layout")) as server:
        paths = server.run(lambda: _seed_demo(server.app))
        contexts = []
        pages: dict[str, Page] = {}
        for role, login in ROLE_LOGINS.items():
            context = browser.new_context(viewport=PHONE)
            context.set_default_timeout(10_000)
            contexts.append(context)
            page = context.new_page()
            if login:
                _sign_in(page, server.url, *login)
            pages[role] = page
        try:
            yield Site(server=server, paths=paths, pages=pages)
        finally:
            for context in contexts:
                context.close()


# Pages that finish drawing after load: what to wait for before measuring.
READY = {"chat": "#chat-channels a[aria-current='true']"}
# Screenshots for a reviewer's eyes, only when asked for (e.g. GUILDHALL_SHOTS=/tmp/shots).
SHOTS = os.environ.get("GUILDHALL_SHOTS")


def _open(site: Site, role: str, name: str, viewport: dict[str, int]) -> Page:
    page = site.pages[role]
    page.set_viewport_size(viewport)
    response = page.goto(site.server(site.paths[name]))
    assert response is not None and response.status < 400, f"{name}: HTTP {response and response.status}"
    page.wait_for_load_state("load")
    if name in READY:
        page.locator(READY[name]).first.wait_for()
    return page


@pytest.mark.parametrize(("role", "name"), CASES, ids=CASE_IDS)
def test_no_page_scrolls_sideways_and_the_desktop_header_fits_one_row(site: Site, role: str, name: str):
    problems = []
    for viewport in (PHONE, DESKTOP):
        page = _open(site, role, name, viewport)
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/layout-{role}-{name}-{viewport['width']}.png", full_page=True)
        measured = page.evaluate(OVERFLOW_JS)
        if measured["scrollWidth"] > measured["innerWidth"]:
            problems.append(
                f"{viewport['width']}px: scrollWidth {measured['scrollWidth']}; {measured['culprits']}"
            )
        if viewport is DESKTOP:
            header = page.evaluate(HEADER_ROW_JS)
            if header["offRow"]:
                problems.append(f"1280px header wraps: {header['offRow']} off the first row")
            if header["folded"]:
                problems.append("1280px header folds its links behind Menu: they should fit a desktop")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("role", "name"), CASES, ids=CASE_IDS)
def test_axe_finds_no_serious_or_critical_violation(site: Site, role: str, name: str):
    found = []
    for viewport in (PHONE, DESKTOP):
        page = _open(site, role, name, viewport)
        for violation in axe_violations(page):
            found.append(f"{viewport['width']}px {json.dumps(violation, indent=1)}")
    assert not found, "\n".join(found)


def test_chat_fills_the_viewport_and_the_new_channel_form_folds_after_use(site: Site):
    page = _open(site, "member", "chat", DESKTOP)
    room = page.evaluate(
        """() => { const r = document.querySelector('#chat-room').getBoundingClientRect();
                   const log = document.querySelector('#chat-log').getBoundingClientRect();
                   return {bottom: r.bottom, log: log.height, height: window.innerHeight}; }"""
    )
    # The room ends inside the window, near its bottom, and the log takes most of it.
    assert room["height"] - 120 <= room["bottom"] <= room["height"], room
    assert room["log"] >= room["height"] * 0.4, room

    drawer = page.locator("details:has(#new-channel-form)")
    drawer.locator("summary").click()
    page.locator("#new-channel-form [name=name]").fill("Launch room")
    page.locator("#new-channel-form button[type=submit]").click()
    expect(page.locator("#chat-room-name")).to_have_text("# Launch room")
    expect(drawer).not_to_have_attribute("open", "")


FOCUS_JS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), cls: String(el.className || ''), text: (el.textContent || el.name || '').trim().slice(0, 30),
          outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
}"""


@pytest.mark.parametrize("name", ["latest", "question", "directory"])
def test_every_control_reached_by_tab_shows_a_solid_focus_ring(site: Site, name: str):
    page = _open(site, "member", name, DESKTOP)
    page.locator("body").click(position={"x": 1, "y": 1})
    seen, missing = 0, []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_JS)
        if focused["tag"] == "body":
            break
        seen += 1
        if focused["outline"] in ("none", "hidden") or focused["width"] < 2:
            missing.append(focused)
    assert seen >= 10, f"only {seen} controls reached by Tab"
    assert not missing, missing


@pytest.mark.parametrize("name", ["latest", "question", "chat", "search", "directory", "referrals"])
def test_dark_mode_follows_the_system_and_axe_finds_no_serious_violation(site: Site, name: str):
    page = site.pages["member"]
    page.emulate_media(color_scheme="dark")
    try:
        page = _open(site, "member", name, DESKTOP)
        background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        channels = [int(part) for part in background[background.index("(") + 1 : -1].split(",")[:3]]
        assert sum(channels) < 150, f"dark mode background is {background}"
        assert not axe_violations(page), json.dumps(axe_violations(page), indent=1)
    finally:
        page.emulate_media(color_scheme="light")


def _tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until ``selector`` has focus: the control is on the keyboard path."""
    page.locator("body").click(position={"x": 1, "y": 1})
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def test_voting_and_chatting_work_from_the_keyboard(site: Site):
    page = _open(site, "member", "question", DESKTOP)
    column = page.locator(".qa-vote-column:has(.qa-up)").first
    score = int(column.locator(".qa-score").inner_text())
    up = column.locator(".qa-up")
    pressed = up.get_attribute("aria-pressed") == "true"
    post_id = column.locator("xpath=ancestor::article").get_attribute("data-post-id")
    _tab_to(page, f"article[data-post-id='{post_id}'] .qa-up")
    page.keyboard.press("Enter")
    expect(column.locator(".qa-score")).to_have_text(str(score - 1 if pressed else score + 1))

    page = _open(site, "member", "chat", DESKTOP)
    _tab_to(page, "#chat-input")
    page.keyboard.type("Sent without a mouse")
    page.keyboard.press("Enter")
    expect(page.locator("#chat-messages li").last).to_contain_text("Sent without a mouse")
