"""Loaders for the shared hostile-input corpora and an XSS checker that re-parses HTML.

The corpora live in ``../shared/corpora/hostile/`` (beside the checkout, or beside the
repository a fresh clone came from) and are read from there, never copied into this
repository.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest


def _cloned_from(checkout: Path) -> Path | None:
    """The local repository ``checkout`` was cloned from, if it was cloned from one.

    CI tests a fresh ``git clone`` in a temporary folder, where nothing sits beside
    the checkout; the corpora sit beside the repository it was cloned from.
    """
    try:
        url = subprocess.run(
            ["git", "-C", str(checkout), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(url.removeprefix("file://"))
    return path.resolve() if url and path.is_absolute() and path.is_dir() else None


def _find_corpora() -> Path:
    """``$GUILDHALL_SHARED_DIR/corpora/hostile``, else ``shared/`` beside the checkout,
    else ``shared/`` beside the repository the checkout was cloned from."""
    shared = os.environ.get("GUILDHALL_SHARED_DIR")
    if shared:
        return Path(shared) / "corpora" / "hostile"
    checkout = Path(__file__).resolve().parents[1]
    beside = checkout.parent / "shared" / "corpora" / "hostile"
    origin = None if beside.is_dir() else _cloned_from(checkout)
    if origin is None:
        return beside
    beside_origin = origin.parent / "shared" / "corpora" / "hostile"
    return beside_origin if beside_origin.is_dir() else beside


HOSTILE = _find_corpora()

DANGEROUS_ELEMENTS = {"script", "iframe", "object", "embed", "frame", "frameset", "applet", "base", "form",
                      "meta", "link", "style", "svg", "math", "input", "button", "textarea", "select"}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "background", "poster"}
BAD_URL = re.compile(r"^\s*(javascript|vbscript|data\s*:\s*text/html|data)\s*:", re.IGNORECASE)


def _require() -> Path:
    if not HOSTILE.is_dir():
        message = f"hostile corpora not found at {HOSTILE} (set GUILDHALL_SHARED_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run the hostile-input tests, never skip them
        pytest.skip(message)
    return HOSTILE


def xss_vectors(limit: int | None = None) -> list[str]:
    """XSS payloads from DOMPurify's fixtures, H5SC and PayloadsAllTheThings."""
    root = _require()
    vectors: list[str] = []
    vectors += [case["payload"] for case in json.loads((root / "dompurify" / "expect.json").read_text())]
    vectors += [item["expanded"] for item in json.loads((root / "h5sc" / "items.json").read_text())]
    for name in ("RSNAKE_XSS.txt", "XSS_Polyglots.txt", "port_swigger_xss_cheatsheet_event_handlers.txt",
                 "BRUTELOGIC-XSS-STRINGS.txt", "MarioXSSVectors.txt"):  # fmt: skip
        path = root / "payloadsallthethings" / "xss_intruders" / name
        if path.exists():
            vectors += [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    vectors = [v for v in vectors if isinstance(v, str) and v.strip()]
    return vectors[:limit] if limit else vectors


def naughty_strings() -> list[str]:
    """The Big List of Naughty Strings (JSON form)."""
    root = _require()
    return [s for s in json.loads((root / "blns" / "blns.json").read_text()) if isinstance(s, str)]


def open_redirect_urls() -> list[str]:
    root = _require()
    urls: list[str] = []
    for path in sorted((root / "payloadsallthethings" / "open_redirect").glob("*.txt")):
        urls += [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    data = json.loads((root / "flaskbb_open_redirect" / "redirect_urls.json").read_text())
    bad = data.get("bad") if isinstance(data, dict) else None
    if isinstance(bad, list):
        urls += [u for u in bad if isinstance(u, str)]
    return urls


class _ScriptFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DANGEROUS_ELEMENTS:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{name}= attribute on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            if name in URL_ATTRIBUTES and value and BAD_URL.match(value.replace("\x00", "")):
                self.problems.append(f"{name}={value!r} on <{tag}>")

    handle_startendtag = handle_starttag


def script_vectors_in(html: str) -> list[str]:
    """What in ``html`` could run script once a browser parses it (empty list: safe)."""
    finder = _ScriptFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


class _PageScriptFinder(_ScriptFinder):
    """Like ``_ScriptFinder`` but for whole pages: our own chrome (forms, inputs, meta,
    stylesheet links, ``<script src="/static/…">``) is expected."""

    PAGE_DANGEROUS = {"iframe", "object", "embed", "frame", "frameset", "applet", "base", "svg", "math"}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and not (attributes.get("src") or "").startswith("/static/"):
            self.problems.append("inline or foreign <script>")
        if tag in self.PAGE_DANGEROUS:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{name}= attribute on <{tag}>")
            if name in URL_ATTRIBUTES and value and BAD_URL.match(value.replace("\x00", "")):
                self.problems.append(f"{name}={value!r} on <{tag}>")

    handle_startendtag = handle_starttag


def page_script_vectors_in(html: str) -> list[str]:
    """Script vectors in a whole rendered page (empty list: safe)."""
    finder = _PageScriptFinder()
    finder.feed(html)
    finder.close()
    return finder.problems
