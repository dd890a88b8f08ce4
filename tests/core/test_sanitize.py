"""Markdown rendering and sanitizing: the features members use, and nothing that runs."""

import json
import threading

import pytest

from app.core.sanitize import plain_text, render_markdown
from tests.hostile import HOSTILE, script_vectors_in, xss_vectors
from tests.threads import race


def test_commonmark_basics():
    html = render_markdown("# Title\n\n**bold** _em_ `code`\n\n- a\n- b")
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<em>em</em>" in html
    assert "<code>code</code>" in html
    assert "<li>a</li>" in html


def test_tables_render():
    html = render_markdown("| Partner | Tier |\n|---|---|\n| Acme | Gold |")
    assert "<table>" in html and "<th>Partner</th>" in html and "<td>Gold</td>" in html


def test_fenced_code_keeps_language_and_escapes_once():
    html = render_markdown("```python\nif a < b and c & d:\n    pass\n```")
    assert '<code class="language-python">' in html
    assert "a &lt; b and c &amp; d" in html


def test_bare_urls_are_autolinked_with_safe_rel():
    html = render_markdown("See https://example.com/docs for details")
    assert '<a href="https://example.com/docs" rel="nofollow ugc noopener">' in html


def test_strikethrough():
    assert "<s>old</s>" in render_markdown("~~old~~")


@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](vbscript:msgbox(1))",
        "![x](javascript:alert(1))",
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "<iframe src=//evil></iframe>",
        '<a href="javascript:alert(1)">x</a>',
    ],
)
def test_script_vectors_are_neutralised(source):
    html = render_markdown(source)
    assert script_vectors_in(html) == []
    assert 'href="javascript' not in html.lower()


def test_images_only_from_the_sites_own_uploads():
    assert '<img src="/uploads/7/a.png" alt="a">' in render_markdown("![a](/uploads/7/a.png)")
    for remote in (
        "https://example.com/a.png",
        "//example.com/uploads/1/a.png",
        "/uploads/../admin",
        "/static/x.png",
        "ftp://example.com/a.png",
        "/uploads\\..\\x",
    ):
        html = render_markdown(f"![a]({remote})")
        assert "src=" not in html, remote


def test_every_corpus_xss_vector_is_neutralised():
    vectors = xss_vectors()
    assert len(vectors) > 500
    failures = [(v, p) for v in vectors if (p := script_vectors_in(render_markdown(v)))]
    assert failures == []


def test_bleach_regression_corpus_is_neutralised():
    path = HOSTILE / "bleach_regressions" / "bleach_regressions.json"
    if not path.exists():
        pytest.skip(f"{path} not found")
    cases = json.loads(path.read_text())
    for case in cases:
        assert script_vectors_in(render_markdown(case["input"])) == [], case["id"]


def test_plain_text_strips_markup_and_unescapes():
    assert plain_text("**hi** <b>x</b> & y") == "hi <b>x</b> & y"
    assert plain_text("word " * 100, limit=20).endswith("…")


def test_rendering_from_many_threads_at_once_gives_each_the_same_html():
    """Gunicorn threads and Socket.IO event threads render at once. bleach's Cleaner
    and markdown-it's linkify keep state between calls: shared by every thread, they
    raised ``IndexError: pop from empty list`` inside html5lib under a busy chat room,
    losing the message being sent, and returned HTML belonging to another call."""
    sources = [*xss_vectors()[:40], "one **two** three", "> quote\n\n- a\n- b", "<p>x</p></p></div>"]
    expected = [render_markdown(source) for source in sources]
    mismatches: list[str] = []

    def render_all(_: int) -> None:
        for _ in range(15):
            for source, html in zip(sources, expected, strict=True):
                if render_markdown(source) != html:
                    mismatches.append(source)

    failures = race(render_all, threads=6)
    assert not failures and not mismatches, (failures[:3], mismatches[:3])


def test_a_thread_that_renders_once_reuses_a_parser_another_thread_built(monkeypatch):
    """Socket.IO runs every event in a new thread. With a parser and Cleaner per
    thread, each chat send built a new pair (several times the cost of its render);
    borrowed from a pool, a new thread uses one that is idle."""
    from app.core import sanitize

    render_markdown("warm **up**")  # at least one idle pair
    built: list[object] = []
    original = sanitize._Renderers.__init__

    def counting_init(self) -> None:
        built.append(self)
        original(self)

    monkeypatch.setattr(sanitize._Renderers, "__init__", counting_init)
    outputs: list[str] = []
    for _ in range(20):
        thread = threading.Thread(target=lambda: outputs.append(render_markdown("a **short** message")))
        thread.start()
        thread.join()
    assert outputs == ["<p>a <strong>short</strong> message</p>\n"] * 20
    assert built == []
