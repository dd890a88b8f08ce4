"""Council pages in Chromium: each fits a 360 px phone and a 1280 px desktop without
scrolling sideways and has no serious axe violation, for the admin who runs councils
and for a member who must first accept the charter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.browser.conftest import PLAYWRIGHT_ERROR, REQUIRE_BROWSER, LiveServer, serve

if PLAYWRIGHT_ERROR and not REQUIRE_BROWSER:
    pytest.skip(PLAYWRIGHT_ERROR, allow_module_level=True)

from playwright.sync_api import Browser, Page, expect

from tests.browser.checks import DESKTOP, assert_fits_and_passes_axe

pytestmark = pytest.mark.browser


def _seed() -> dict[str, int]:
    import sqlalchemy as sa

    from app.accounts.models import User
    from app.demo import seed_base
    from app.extensions import db
    from app.plugins.councils import services
    from tests.factories import make_org, make_user

    seed_base()
    db.session.flush()
    admin = db.session.scalar(sa.select(User).where(User.email == "admin@guildhall.example"))
    today = services.today()
    council = services.create_council(
        admin,
        "EMEA Partner Advisory Council with a rather long name",
        "# Charter\n\nWhat is said in council stays in council.",
        scope="region",
        region="EMEA",
        seats=5,
        rules=[("tier", "gold", 2)],
        applications_open_from=today,
        applications_open_until=today + timedelta(days=10),
    )
    newcomer = make_user(email="newcomer@example.com", username="newcomer", organization=make_org())
    applicant = make_user(
        username="applicant", organization=make_org(regions=["EMEA"], specialisms=["Cloud"])
    )
    services.grant_seat(admin, council, newcomer)
    services.apply(applicant, council, "Fifteen years of partner sales in EMEA. " * 5)
    return {"council_id": council.id}


def _page(browser: Browser, server: LiveServer, email: str, password: str) -> Page:
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(server("/login"))
    form = page.locator("#main form:has([name='password'])").first
    form.locator("[name=email]").fill(email)
    form.locator("[name=password]").fill(password)
    form.locator("button[type=submit], input[type=submit]").first.click()
    expect(page.locator(".site-header .user-menu")).to_have_count(1)
    return page


@pytest.fixture(scope="module")
def site(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict]]:
    with serve(tmp_path_factory.mktemp("councils")) as server:
        ids = server.run(_seed)
        yield server, ids


def test_admin_council_pages_fit_and_pass_axe(browser: Browser, site):
    server, ids = site
    page = _page(browser, server, "admin@guildhall.example", "guildhall-admin")
    try:
        for path in (
            "/councils/",
            "/councils/new",
            "/councils/{council_id}",
            "/councils/{council_id}/applications",
        ):
            response = page.goto(server(path.format(**ids)))
            assert response is not None and response.status == 200, path
            assert_fits_and_passes_axe(page, path)
    finally:
        page.context.close()


def test_a_new_member_accepts_the_charter_then_enters(browser: Browser, site):
    from tests.factories import PASSWORD

    server, ids = site
    page = _page(browser, server, "newcomer@example.com", PASSWORD)
    try:
        page.goto(server("/councils/{council_id}".format(**ids)))
        expect(page.get_by_role("button", name="I accept the charter")).to_be_visible()
        assert_fits_and_passes_axe(page, "charter acceptance")
        page.get_by_role("button", name="I accept the charter").click()
        expect(page.get_by_role("heading", name="Members")).to_be_visible()
        assert_fits_and_passes_axe(page, "council space")
        page.goto(server("/councils/"))
        assert_fits_and_passes_axe(page, "councils index (member)")
        page.goto(server("/councils/{council_id}/apply".format(**ids)))
        assert_fits_and_passes_axe(page, "apply form")
    finally:
        page.context.close()
