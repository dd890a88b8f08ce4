"""Markdown to safe HTML: markdown-it-py renders, bleach sanitizes.

This is the only module that imports bleach. Rendering happens once on write and the
result is stored as ``body_html`` beside ``body``; templates print ``body_html`` and
nothing else from users unescaped.

Rendering cost is bounded. markdown-it's inline parser backtracks over unclosed link
brackets and unmatched emphasis, backtick and angle-bracket runs (``[[[…`` or
``*a*a*a…``), and bleach's pure-Python HTML parser pays for every tag and entity the
render produced. A body that a person writes stays far inside the budgets below; one
built to be expensive exceeds one of them and is shown as escaped text in paragraphs
(:func:`escaped_paragraphs`): nothing is lost and nothing is interpreted. The same
budgets apply to markup nested deeper than the parser keeps (``maxNesting``): it drops
what lies deeper, where the fallback keeps every character.
"""

from __future__ import annotations

import html as html_lib
import re
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
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

# --- the cost budget ----------------------------------------------------------------
# Longer text is not parsed as Markdown at all: the longest body a form accepts (posts
# and organization descriptions; chat allows 4,000). This also bounds text that reaches
# the renderer another way (imports, the CLI, bodies stored under an older limit).
MARKDOWN_MAX = 20_000
# How many levels of block containers a line may open: a quote is one level, a list
# item two (the list and the item). The parser's own limit (``maxNesting``, 20 in the
# CommonMark preset) silently drops whatever lies at level 20 and deeper.
NESTING_MAX = 19
# Per body, outside code blocks: how many of each construct the inline parser may be
# asked to match. Each is several times what a long, markup-heavy post uses.
BUDGETS = {
    "brackets": 600,  # ``[`` and ``![``: every unclosed one is a link the parser retries
    "delimiter runs": 1_000,  # runs of ``*``, ``_``, ``~``: emphasis candidates
    "backtick runs": 1_000,  # code-span openers, matched against every later run
    "angle brackets": 600,  # ``<``: autolink attempts, each one escaped for bleach
    "entities": 1_000,  # ``&``: entity attempts, each one re-parsed by bleach
    "table cells": 1_500,  # ``|``: cells, each one an inline parse and tags for bleach
    "link definitions": 300,  # ``[label]: url`` lines
    "backslashes": 1_000,  # escapes: each one a token of its own
}
# Tokens one render may produce (each inline child counted): bounds bleach's share.
TOKENS_MAX = 8_000

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_INDENTED_CODE = re.compile(r"^(?: {4}|\t)")
# What opens a block container at the start of a line: quote markers and list markers,
# with the indentation between them. Its length approximates the nesting depth.
_CONTAINER_PREFIX = re.compile(r"^(?:[ \t]*(?:>|[-+*](?=[ \t])|[0-9]{1,9}[.)](?=[ \t])))+")
_COUNTERS = {
    "brackets": re.compile(r"\["),
    "delimiter runs": re.compile(r"[*_~]+"),
    "backtick runs": re.compile(r"`+"),
    "angle brackets": re.compile(r"<"),
    "entities": re.compile(r"&"),
    "table cells": re.compile(r"\|"),
    "backslashes": re.compile(r"\\"),
}
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]{1,999}\]:", re.MULTILINE)


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


def _outside_fences(lines: list[str]) -> list[str]:
    """The lines outside fenced code blocks: code is taken literally, so a long code
    paste full of ``*``, ``<`` and ``&`` costs the parser nothing extra."""
    kept: list[str] = []
    fence: str | None = None
    for line in lines:
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
        elif opened:
            fence = opened.group(1)
        else:
            kept.append(line)
    return kept


def _nesting(line: str) -> int:
    """The container levels ``line`` sits in, estimated from its prefix alone: each
    ``>`` is a quote; each list marker, and each two columns of indentation before
    one (a nested item is indented at least that much per level), a list item."""
    prefix = _CONTAINER_PREFIX.match(line)
    if prefix is None:
        return 0
    text = re.sub(r"> ?", ">", prefix.group(0).expandtabs(4))  # "> " is one quote marker
    quotes = text.count(">")
    items = len(re.findall(r"[-+*]|[0-9]{1,9}[.)]", text)) + text.count(" ") // 2
    return quotes + 2 * items


def too_costly(text: str) -> str | None:
    """Why ``text`` must not be parsed as Markdown (a budget it exceeds), else ``None``.

    A linear scan, cheap next to a render: it counts what makes the parser and the
    sanitizer slow, never what is merely long.
    """
    if len(text) > MARKDOWN_MAX:
        return "length"
    lines = _outside_fences(text.splitlines())
    if any(_nesting(line) > NESTING_MAX for line in lines):
        return "nesting"
    # Indented lines are code, or the continuation of a list item: either way counting
    # them would only make a budget stricter, and code is what they mostly are.
    scanned = "\n".join(line for line in lines if not _INDENTED_CODE.match(line))
    for name, pattern in _COUNTERS.items():
        if _count_over(pattern, scanned, BUDGETS[name]):
            return name
    if _count_over(_LINK_DEFINITION, scanned, BUDGETS["link definitions"]):
        return "link definitions"
    return None


def _count_over(pattern: re.Pattern[str], text: str, budget: int) -> bool:
    return next(islice(pattern.finditer(text), budget, None), None) is not None


def escaped_paragraphs(text: str) -> str:
    """``text`` as HTML paragraphs of escaped text: the fallback for a body too costly
    to render. Blank lines separate paragraphs, line breaks are kept; safe without the
    sanitizer, since every character of the input is escaped."""
    normalized = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [part.strip("\n") for part in re.split(r"\n[ \t]*\n", normalized)]
    return "".join(
        "<p>" + html_lib.escape(part, quote=False).replace("\n", "<br>\n") + "</p>\n"
        for part in paragraphs
        if part.strip()
    )


def _token_count(tokens: list) -> int:
    return sum(1 + len(token.children or ()) for token in tokens)


def _render_within_budget(md: MarkdownIt, text: str) -> str | None:
    """markdown-it's (unsanitized) HTML for ``text``, or ``None`` when rendering it
    would exceed a budget: checked before parsing, and on the parsed tokens."""
    if too_costly(text):
        return None
    env: dict = {}
    tokens = md.parse(text, env)
    if _token_count(tokens) > TOKENS_MAX:
        return None
    return md.renderer.render(tokens, md.options, env)


def render_markdown(text: str) -> str:
    """Render untrusted Markdown to HTML that is safe to insert into a page.

    Text over a cost budget (see the module docstring) comes back as
    :func:`escaped_paragraphs` instead.
    """
    text = text or ""
    with _renderers() as pair:
        html = _render_within_budget(pair.md, text)
        return escaped_paragraphs(text) if html is None else pair.cleaner.clean(html)


def render_markdown_unbounded(text: str) -> str:
    """``render_markdown`` without the cost budget: for ``bench/markdown.py`` to show
    what the budget saves. Never for input from users."""
    with _renderers() as pair:
        return pair.cleaner.clean(pair.md.render(text or ""))


def clean_html(html: str) -> str:
    """Sanitize HTML produced elsewhere (for example after mention rewriting)."""
    with _renderers() as pair:
        return pair.cleaner.clean(html)


def plain_text(text: str, limit: int = 200) -> str:
    """Strip Markdown/HTML to a short plain excerpt for previews and emails."""
    text = text or ""
    with _renderers() as pair:
        html = _render_within_budget(pair.md, text)
    stripped = text if html is None else html_lib.unescape(bleach.clean(html, tags=set(), strip=True))
    stripped = " ".join(stripped.split())
    return stripped if len(stripped) <= limit else stripped[: limit - 1].rstrip() + "…"
