"""Checks every browser test may run on a page it has open: axe-core (vendored, never
fetched) for serious and critical accessibility violations, and sideways overflow at
the two widths every page must fit (a 360 px phone, a 1280 px desktop)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SOURCE = AXE_JS.read_text(encoding="utf-8")
OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"


def axe_violations(page: Any) -> list[dict]:
    """Serious and critical violations on the page as it stands, one entry per rule."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's CSP (script-src
        # 'self') does not govern: a <script> tag with the source inline would be blocked.
        page.evaluate(AXE_SOURCE)
    return page.evaluate(
        """async () => {
          const r = await axe.run(document, {resultTypes: ['violations']});
          return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + (n.failureSummary || ''))}));
        }"""
    )


def assert_fits_and_passes_axe(page: Any, name: str) -> None:
    """At 360 px and 1280 px the page neither scrolls sideways nor has a serious axe
    violation; the viewport is left at the desktop size."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    problems = []
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        # Let the reflow after the resize settle before measuring (no fixed sleep).
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(f"() => ({OVERFLOW_JS[6:]}) <= 0", timeout=5000)
        overflow = page.evaluate(OVERFLOW_JS)
        if overflow > 0:
            problems.append(f"{name} scrolls sideways by {overflow} px at {viewport['width']} px")
        problems.extend(
            f"{name} at {viewport['width']} px: {json.dumps(violation)}" for violation in axe_violations(page)
        )
    page.set_viewport_size(DESKTOP)
    assert not problems, "\n".join(problems)
