"""Browser harness: a live Guildhall server on loopback and Debian's Chromium driven by
Playwright.

The browser is never downloaded: Playwright drives ``/usr/bin/chromium`` (or
``GUILDHALL_CHROMIUM``). Without it
(or without Playwright) every browser test skips with the reason — unless
``GUILDHALL_REQUIRE_BROWSER=1`` (``make test-browser``, CI), where a missing browser
is a failure, so CI cannot go green by skipping.

CSRF is ON here (it is off in the rest of the suite): real forms must carry tokens.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.extensions import db

CHROMIUM = os.environ.get("GUILDHALL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REQUIRE_BROWSER = os.environ.get("GUILDHALL_REQUIRE_BROWSER") == "1"

try:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

    PLAYWRIGHT_ERROR: str | None = None
except ImportError as error:  # pragma: no cover - depends on the environment
    PLAYWRIGHT_ERROR = f"playwright is not installed ({error})"


def _missing_browser_reason() -> str | None:
    if PLAYWRIGHT_ERROR:
        return PLAYWRIGHT_ERROR
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test; skip them all when there is no browser."""
    here = Path(__file__).parent
    reason = _missing_browser_reason()
    for item in items:
        if here not in Path(str(item.fspath)).parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason and not REQUIRE_BROWSER:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    reason = _missing_browser_reason()
    if reason:
        if REQUIRE_BROWSER:
            pytest.fail(f"GUILDHALL_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class LiveServer:
    """A running app: ``url`` for the browser, ``app`` for data set-up and assertions."""

    app: Flask
    url: str

    def __call__(self, path: str = "/") -> str:
        return self.url + path

    def run(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` in an app context and commit (factories, reading the outbox)."""
        with self.app.app_context():
            result = fn()
            db.session.commit()
            return result


@contextmanager
def serve(instance: Path, overrides: dict[str, Any] | None = None) -> Iterator[LiveServer]:
    """Create an app on a fresh SQLite file in ``instance`` and serve it on loopback.

    Shared by the per-test ``live_server`` and by suites (the layout test) that seed one
    site and read it from many pages.
    """
    from werkzeug.serving import make_server

    settings: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'browser.sqlite'}",
        "WTF_CSRF_ENABLED": True,
        **(overrides or {}),
    }
    app = create_app("testing", instance_path=str(instance / "instance"), **settings)
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def live_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    overrides: dict[str, Any] = {}
    for marker in request.node.iter_markers("app_config"):
        overrides.update(marker.kwargs)
    with serve(tmp_path, overrides) as server:
        yield server


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    """Open fresh browser contexts (separate cookie jars = separate people)."""
    contexts: list[BrowserContext] = []

    def _open() -> BrowserContext:
        context = browser.new_context()
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[[], BrowserContext]) -> Page:
    return new_context().new_page()
