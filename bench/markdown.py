"""Time Markdown rendering on pathological and ordinary bodies: before and after the
cost budget of ``app/core/sanitize.py``.

    .venv/bin/python bench/markdown.py                  # bodies of the longest size allowed
    .venv/bin/python bench/markdown.py --size 10000     # other sizes
    .venv/bin/python bench/markdown.py --after-only     # skip the slow "before" column

Per input: its length; the best of ``--repeat`` runs, in milliseconds, of
``render_markdown_unbounded`` (markdown-it + bleach without the budget: before) and of
``render_markdown`` (after); ``plain_text`` (after; excerpts are made on every feed
page); and which budget, if any, sent the body to the escaped-text fallback.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core import sanitize


def inputs(size: int) -> dict[str, str]:
    """The two bodies of the report (issue 18), then others cut to ``size`` characters."""
    ladder = "".join(("*" * (i % 7 + 1)) + "a" for i in range(size // 5))
    report = {"report: [ x 49,000": "[" * 49_000, "report: *a x 24,000": "*a" * 24_000}
    return report | {name: text[:size] for name, text in _shaped(size, ladder).items()}


def _shaped(size: int, ladder: str) -> dict[str, str]:
    return {
        "plain text": ("lorem ipsum dolor sit amet " * (size // 27 + 1))[:size],
        "ordinary post": (
            "## Heading\n\nSome *emphasis*, **strong**, `code` and [a link](https://example.com).\n\n"
            "- one\n- two\n  - nested\n\n> a quote\n\n```python\nprint('hi')\n```\n\n"
        )
        * (size // 160 + 1),
        "[ x N": "[" * size,
        "*a x N": "*a" * (size // 2),
        "_a x N": "_a" * (size // 2),
        "~~a x N": "~~a" * (size // 3),
        "** x N": "*" * size,
        "emphasis ladder": ladder,
        "nested emphasis": "*a **a " * (size // 8),
        "> x N": ">" * size,
        "> lines": "".join(">" * i + " q\n" for i in range(1, 200))[:size],
        "nested lists": "".join("  " * i + "- x\n" for i in range(size // 40)),
        "ordered list ladder": "".join("   " * i + "1. x\n" for i in range(size // 60)),
        "backtick runs": "".join("`" * i + "a" for i in range(1, 300))[:size],
        "` x N": "`" * size,
        "a` x N": "a`" * (size // 2),
        "![ x N": "![" * (size // 2),
        "[a]( x N": "[a](" * (size // 4),
        "link refs": "".join(f"[r{i}]: /u{i}\n" for i in range(size // 24)) + "[r1] " * (size // 10),
        "ref flood": "[a]: /u\n" * (size // 16) + "[a]" * (size // 6),
        "< x N": "<" * size,
        "&# x N": "&#" * (size // 2),
        "| table": "|a" * 100 + "\n" + "|-" * 100 + "\n" + ("|a" * 100 + "\n") * (size // 201),
        "linkify www.": "www." * (size // 4),
        "linkify a@b.": "a@b." * (size // 4),
        "\\ x N": "\\" * size,
    }


def best_ms(fn: Callable[[str], str], text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(text)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=sanitize.MARKDOWN_MAX)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--after-only", action="store_true")
    args = parser.parse_args()
    print(f"{'input':22} {'chars':>7} {'before ms':>10} {'after ms':>9} {'plain ms':>9}  fallback")
    for name, text in inputs(args.size).items():
        before = (
            float("nan")
            if args.after_only
            else best_ms(sanitize.render_markdown_unbounded, text, args.repeat)
        )
        after = best_ms(sanitize.render_markdown, text, args.repeat)
        plain = best_ms(sanitize.plain_text, text, args.repeat)
        verdict = sanitize.too_costly(text) or ""
        print(f"{name:22} {len(text):7} {before:10.1f} {after:9.1f} {plain:9.1f}  {verdict}", flush=True)


if __name__ == "__main__":
    main()
