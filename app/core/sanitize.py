"""Markdown to safe HTML: markdown-it-py renders, bleach sanitizes.

This is the only module that imports bleach. Rendering happens once on write and the
result is stored as ``body_html`` beside ``body``; templates print ``body_html`` and
nothing else from users unescaped.
"""

from __future__ import annotations

import html as html_lib
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import bleach
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3",
        "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span",
        "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel", "class"],
    "img": ["src", "alt", "title"],
    "code": ["class"],
    "span": ["class"],
    "ol": ["start"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
_SAFE_CLASS_PREFIXES = ("language-", "mention", "quote-")


def _build_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"linkify": True, "html": False, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])

    def link_open(renderer, tokens, idx, options, env):
        # External links must not pass page rank or a window.opener handle.
        href = tokens[idx].attrGet("href") or ""
        if href.startswith(("http://", "https://")):
            tokens[idx].attrSet("rel", "nofollow ugc noopener")
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    return md


def _filter_attributes(tag: str, name: str, value: str) -> bool:
    allowed = ALLOWED_ATTRIBUTES.get(tag, [])
    if name not in allowed:
        return False
    if name == "class":
        return all(part.startswith(_SAFE_CLASS_PREFIXES) for part in value.split())
    if name == "src":
        return _is_own_upload(value)
    return True


# Images come only from this site's uploads (app/uploads): a remote image would tell
# another server who reads a post and when, and could change after moderation.
UPLOADS_PATH = "/uploads/"


def _is_own_upload(url: str) -> bool:
    parts = urlsplit(url)
    return (
        not parts.scheme
        and not parts.netloc
        and parts.path.startswith(UPLOADS_PATH)
        and ".." not in parts.path
        and "\\" not in url
    )


# Gunicorn's threads and the Socket.IO event threads render at the same time, and
# neither renderer may be shared between them: bleach's Cleaner keeps its HTML
# parser's state between calls (its docs: "not thread-safe"), and markdown-it's
# linkify keeps the text it last scanned on the parser. Shared, they raised
# ``IndexError`` inside html5lib under a busy chat room, losing the message being
# sent, and returned output that belonged to another call. So a render borrows a pair
# no other thread is using and gives it back afterwards. Not one pair per thread:
# Socket.IO runs every event in a new thread, so a per-thread pair was built for
# every chat send (building one costs about four renders of a short message).
class _Renderers:
    """A Markdown parser and a bleach Cleaner, used by one thread at a time."""

    __slots__ = ("cleaner", "md")

    def __init__(self) -> None:
        self.md = _build_parser()
        self.cleaner = bleach.Cleaner(
            tags=ALLOWED_TAGS,
            attributes=_filter_attributes,
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
            strip_comments=True,
        )


# Idle pairs. deque.append and deque.pop are atomic, so borrowing needs no lock; the
# deque grows to the most renders ever run at once and no further.
_idle: deque[_Renderers] = deque()


@contextmanager
def _renderers() -> Iterator[_Renderers]:
    """Borrow an idle pair (or build one when every pair is busy) for one render."""
    try:
        pair = _idle.pop()
    except IndexError:
        pair = _Renderers()
    try:
        yield pair
    finally:
        _idle.append(pair)


def render_markdown(text: str) -> str:
    """Render untrusted Markdown to HTML that is safe to insert into a page."""
    with _renderers() as pair:
        return pair.cleaner.clean(pair.md.render(text or ""))


def clean_html(html: str) -> str:
    """Sanitize HTML produced elsewhere (for example after mention rewriting)."""
    with _renderers() as pair:
        return pair.cleaner.clean(html)


def plain_text(text: str, limit: int = 200) -> str:
    """Strip Markdown/HTML to a short plain excerpt for previews and emails."""
    with _renderers() as pair:
        html = pair.md.render(text or "")
    stripped = html_lib.unescape(bleach.clean(html, tags=set(), strip=True))
    stripped = " ".join(stripped.split())
    return stripped if len(stripped) <= limit else stripped[: limit - 1].rstrip() + "…"
