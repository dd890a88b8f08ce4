"""The admin area in a browser: every admin page, the feature pages moved under its
navigation included, fits a 360 px phone and a 1280 px desktop without scrolling
sideways, shows the admin navigation, and the dashboard's charts load as images."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.browser.conftest import PLAYWRIGHT_ERROR, REQUIRE_BROWSER, LiveServer, serve

if PLAYWRIGHT_ERROR and not REQUIRE_BROWSER:
    pytest.skip(PLAYWRIGHT_ERROR, allow_module_level=True)

from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
PAGES = [
    "/admin/",
    "/admin/users",
    "/admin/users/alice",
    "/admin/organizations",
    "/admin/organizations/new",
    "/admin/organizations/{org_id}",
    "/admin/settings",
    "/admin/email",
    "/admin/plugins",
    "/admin/audit",
    "/admin/categories",
    "/admin/directory/fields",
    "/qa/admin/settings",
    "/qa/admin/categories",
]
OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const culprits = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1 && culprits.length < 5) {
      culprits.push(el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' right=' + Math.round(r.right));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, culprits};
}"""


def _seed(server: LiveServer) -> dict[str, int]:
    from app.accounts.models import User
    from app.demo import seed_base
    from app.extensions import db
    from app.moderation.services import record_audit

    seed_base()
    db.session.flush()
    alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
    admin = db.session.scalar(sa.select(User).where(User.role == "admin"))
    record_audit(admin, "user.set_role", "user", alice.id, reason="a long reason " * 12)
    return {"org_id": alice.organization_id}


@pytest.fixture(scope="module")
def admin_page(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, Page, dict]]:
    with serve(tmp_path_factory.mktemp("admin")) as server:
        ids = server.run(lambda: _seed(server))
        context = browser.new_context(viewport=DESKTOP)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto(server("/login"))
        form = page.locator("#main form:has([name='password'])").first
        form.locator("[name=email]").fill("admin@guildhall.example")
        form.locator("[name=password]").fill("guildhall-admin")
        form.locator("button[type=submit], input[type=submit]").first.click()
        expect(page.locator(".site-header .user-menu")).to_have_count(1)
        try:
            yield server, page, ids
        finally:
            context.close()


@pytest.mark.parametrize("path", PAGES)
def test_admin_pages_fit_a_phone_and_a_desktop_and_show_the_admin_navigation(admin_page, path: str):
    server, page, ids = admin_page
    problems = []
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        response = page.goto(server(path.format(**ids)))
        assert response is not None and response.status == 200, f"{path}: HTTP {response and response.status}"
        expect(page.locator("nav.admin-nav")).to_be_visible()
        measured = page.evaluate(OVERFLOW_JS)
        if measured["scrollWidth"] > measured["innerWidth"]:
            problems.append(
                f"{viewport['width']}px: scrollWidth {measured['scrollWidth']}; {measured['culprits']}"
            )
    assert not problems, "\n".join(problems)


def test_the_dashboard_charts_load_as_images(admin_page):
    server, page, _ = admin_page
    page.set_viewport_size(DESKTOP)
    page.goto(server("/admin/"))
    charts = page.locator(".admin-chart img")
    expect(charts.first).to_be_visible()
    widths = page.evaluate(
        "() => [...document.querySelectorAll('.admin-chart img')].map(i => i.naturalWidth)"
    )
    assert widths and all(width > 0 for width in widths)
