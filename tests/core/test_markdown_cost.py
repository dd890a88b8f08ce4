"""Markdown rendering cost is bounded: text built to be expensive falls back to escaped
paragraphs, and everything a person writes renders exactly as before.

No timings here: each test checks which path a body takes (the cost budget's verdict
and the fallback's output). ``bench/markdown.py`` measures the times.
"""

from __future__ import annotations

import html
import subprocess
from pathlib import Path

import pytest
from wtforms.validators import Length

from app.accounts.forms import OrganizationForm, ProfileForm
from app.chat import messages as chat_messages
from app.core.errors import Invalid
from app.core.sanitize import (
    MARKDOWN_MAX,
    escaped_paragraphs,
    plain_text,
    render_markdown,
    render_markdown_unbounded,
    too_costly,
)
from app.forums import services
from app.forums.posting import BODY_MAX
from app.referrals.checks import DETAILS_MAX
from tests.factories import make_category, make_user
from tests.hostile import script_vectors_in, xss_vectors

REPOSITORY = Path(__file__).resolve().parents[2]

# Bodies built to be expensive, each with the budget it exceeds. The first two are the
# report's; the others are other ways to make markdown-it or bleach work hard.
PATHOLOGICAL = {
    "49,000 [": ("[" * 49_000, "length"),
    "*a x 24,000": ("*a" * 24_000, "length"),
    "[ x 19,000": ("[" * 19_000, "brackets"),
    "![ x 5,000": ("![" * 5_000, "brackets"),
    "[a]( x 4,000": ("[a](" * 4_000, "brackets"),
    "*a x 9,000": ("*a" * 9_000, "delimiter runs"),
    "_a x 9,000": ("_a" * 9_000, "delimiter runs"),
    "~~a x 6,000": ("~~a" * 6_000, "delimiter runs"),
    "nested emphasis": ("*a **a " * 2_000, "delimiter runs"),
    "emphasis ladder": ("".join("*" * (i % 7 + 1) + "a" for i in range(3_000)), "delimiter runs"),
    "a` x 9,000": ("a`" * 9_000, "backtick runs"),
    "backtick ladder": ("".join("`" * (i % 9 + 1) + "a" for i in range(1_500)), "backtick runs"),
    "< x 9,000": ("<" * 9_000, "angle brackets"),
    "&# x 9,000": ("&#" * 9_000, "entities"),
    "\\ x 19,000": ("\\" * 19_000, "backslashes"),
    "table of 4,000 cells": (
        ("|a" * 40 + "\n") + ("|-" * 40 + "\n") + ("|a" * 40 + "\n") * 100,
        "table cells",
    ),
    "link definition flood": ("".join(f"[r{i}]: /u{i}\n" for i in range(400)), "link definitions"),
    "deep > nesting": (">" * 5_000 + " deep", "nesting"),
    "deep > nesting, spaced": ("> " * 40 + "deep", "nesting"),
    "deep list nesting": ("".join("  " * i + f"- level {i}\n" for i in range(40)), "nesting"),
    "deep ordered list nesting": ("".join("   " * i + f"1. level {i}\n" for i in range(40)), "nesting"),
    "quotes of lists": ("".join("> " + "  " * i + f"- level {i}\n" for i in range(30)), "nesting"),
}


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_a_body_built_to_be_expensive_exceeds_a_budget(name):
    text, budget = PATHOLOGICAL[name]
    assert too_costly(text) == budget


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_a_body_over_budget_renders_as_escaped_paragraphs(name):
    text, _ = PATHOLOGICAL[name]
    rendered = render_markdown(text)
    assert rendered == escaped_paragraphs(text)
    # Only paragraphs and line breaks; every character of the body kept, as text.
    stripped = rendered.replace("<p>", "").replace("</p>", "").replace("<br>", "")
    assert "<" not in stripped.replace("&lt;", "")
    assert "".join(html.unescape(stripped).split()) == "".join(text.split())


def test_too_many_tokens_falls_back_even_when_every_character_budget_holds():
    text = "a\n\n" * 5_000  # five thousand paragraphs: cheap to scan, costly to sanitize
    assert too_costly(text) is None
    assert render_markdown(text) == escaped_paragraphs(text)


def test_the_fallback_escapes_markup_and_keeps_paragraphs_and_line_breaks():
    text = "<script>alert(1)</script> & [x](javascript:alert(1))\nsecond line\n\n\nnext paragraph" + "[" * 700
    rendered = render_markdown(text)
    assert script_vectors_in(rendered) == []
    assert rendered.startswith(
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; [x](javascript:alert(1))<br>\n"
    )
    assert "second line</p>\n<p>next paragraph" in rendered
    assert "<a" not in rendered


def test_deep_nesting_keeps_the_text_the_parser_would_drop():
    text = "".join("  " * i + f"- level {i}\n" for i in range(25))
    assert "level 24" not in render_markdown_unbounded(text)  # past markdown-it's maxNesting
    assert "level 24" in render_markdown(text)


def test_nesting_the_parser_keeps_still_renders_as_markdown():
    lists = "".join("  " * i + f"- level {i}\n" for i in range(9))
    quotes = "> " * 19 + "deep"
    for text in (lists, quotes):
        assert too_costly(text) is None
        assert render_markdown(text) == render_markdown_unbounded(text) != escaped_paragraphs(text)


def test_code_blocks_do_not_count_against_the_budgets():
    code = "```cpp\n" + "if (a < b && *p) { x = y | z; }\n" * 500 + "```\n\nDone *here*."
    assert too_costly(code) is None
    assert "<em>here</em>" in render_markdown(code)


def test_plain_text_of_a_costly_body_is_the_raw_text_without_parsing():
    text = "*a" * 9_000
    assert plain_text(text, limit=30) == text[:29] + "…"
    assert plain_text("[" * 49_000, limit=10) == "[" * 9 + "…"


def _markdown_documents() -> list[str]:
    """The repository's own Markdown (README, design and benchmark notes): long,
    table- and code-heavy writing by people, in pieces of the longest body allowed."""
    files = subprocess.run(
        ["git", "-C", str(REPOSITORY), "ls-files", "*.md"], capture_output=True, text=True, check=True
    ).stdout.split()
    texts = [(REPOSITORY / name).read_text(encoding="utf-8") for name in files]
    pieces = [text[i : i + MARKDOWN_MAX] for text in texts for i in range(0, len(text), MARKDOWN_MAX)]
    assert sum(len(piece) for piece in pieces) > 50_000
    return pieces


def test_writing_by_people_renders_byte_identically_within_the_budget():
    for piece in _markdown_documents():
        assert too_costly(piece) is None, piece[:80]
        assert render_markdown(piece) == render_markdown_unbounded(piece), piece[:80]


def test_hostile_vectors_render_as_before_unless_over_budget():
    for vector in xss_vectors():
        if too_costly(vector) is None:
            assert render_markdown(vector) == render_markdown_unbounded(vector), vector


def test_every_markdown_field_fits_the_render_budget():
    def form_max(form_class, name: str) -> int:
        field = getattr(form_class, name)
        return next(v.max for v in field.kwargs["validators"] if isinstance(v, Length))

    limits = {
        "posts, questions, answers": BODY_MAX,
        "chat messages": chat_messages.BODY_MAX,
        "referral details": DETAILS_MAX,
        "profile bio": form_max(ProfileForm, "bio"),
        "organization description": form_max(OrganizationForm, "description"),
    }
    assert {name: limit for name, limit in limits.items() if limit > MARKDOWN_MAX} == {}
    assert BODY_MAX == 20_000


def test_a_post_longer_than_the_limit_is_refused(db):
    member = make_user()
    category = make_category()
    with pytest.raises(Invalid, match="at most 20,000 characters"):
        services.create_topic(member, category, "Too long", "x" * (BODY_MAX + 1))
