"""Highlighted snippets for the Whoosh backend, without analysing the whole body.

Why: Whoosh's ``highlight()`` runs the full analyzer (tokenizer, lowercase, stop words,
stemmer) and its fragmenter over every token of each hit's stored body, about half of
a query's time on the benchmark. Here a regular expression finds the few words that
*could* carry a query stem (words starting with the stem's first letters: stemming
only rewrites the end of a word), and only those words go through the real analyzer,
so a highlight is exactly a word the index matched.

Fragments follow Whoosh's ``ContextFragmenter(maxchars=240, surround=80)`` and
``top=2`` closely: matches close together share a fragment with up to ``surround``
characters of context either side, the fragments with the most matches win, shown in
text order, joined by " … ". Every piece of text is HTML-escaped before ``<mark>`` is
added, so nothing a member wrote can become markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from functools import lru_cache

MAXCHARS = 240
SURROUND = 80
TOP = 2
BETWEEN = " … "
# Whoosh's default tokenizer pattern (\w+(\.?\w+)*), anchored at the start of a token.
WORD_TAIL = r"\w*(?:\.\w+)*"
_WORD = re.compile(r"\w")


def stem_prefix(stem: str) -> str:
    """Letters every word with this stem starts with.

    Porter stemming strips or rewrites suffixes; it may change a stem's last letter
    (``happy`` → ``happi``), never the letters before it.
    """
    return stem[: max(1, min(4, len(stem) - 1))]


@lru_cache(maxsize=512)
def candidate_pattern(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    alternation = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    # Not inside a token: no word character (or "word.") right before it.
    return re.compile(rf"(?<!\w)(?<!\w\.)(?:{alternation}){WORD_TAIL}", re.IGNORECASE)


def find_matches(
    text: str, terms: Iterable[str], analyze: Callable[[str], str | None]
) -> list[tuple[int, int]]:
    """``(start, end)`` of the tokens of ``text`` whose analysed form is in ``terms``."""
    terms = set(terms)
    if not terms or not text:
        return []
    pattern = candidate_pattern(tuple(sorted({stem_prefix(t) for t in terms})))
    return [(m.start(), m.end()) for m in pattern.finditer(text) if analyze(m.group().lower()) in terms]


def _fragments(text: str, matches: list[tuple[int, int]]) -> list[tuple[int, int, list[tuple[int, int]]]]:
    fragments = []
    i = 0
    while i < len(matches):
        first = matches[i][0]
        j = i
        while j + 1 < len(matches) and matches[j + 1][1] - first <= MAXCHARS - SURROUND:
            j += 1
        last = matches[j][1]
        start = max(0, first - SURROUND)
        end = min(len(text), last + SURROUND)
        start = max(start, end - MAXCHARS)
        # Do not cut a word in two at either end.
        while start < first and start > 0 and _WORD.match(text[start - 1]) and _WORD.match(text[start]):
            start += 1
        while end > last and end < len(text) and _WORD.match(text[end - 1]) and _WORD.match(text[end]):
            end -= 1
        fragments.append((start, end, matches[i : j + 1]))
        i = j + 1
    return fragments


def snippet_html(text: str, terms: Iterable[str], analyze: Callable[[str], str | None]) -> str:
    """The best fragments of ``text`` with query words in ``<mark>``; ``""`` if none match."""
    matches = find_matches(text, terms, analyze)
    if not matches:
        return ""
    fragments = _fragments(text, matches)
    best = sorted(sorted(fragments, key=lambda f: -len(f[2]))[:TOP], key=lambda f: f[0])
    out = []
    for start, end, marks in best:
        pieces = []
        position = start
        for mark_start, mark_end in marks:
            pieces.append(html.escape(text[position:mark_start], quote=True))
            pieces.append("<mark>" + html.escape(text[mark_start:mark_end], quote=True) + "</mark>")
            position = mark_end
        pieces.append(html.escape(text[position:end], quote=True))
        out.append("".join(pieces).strip())
    return BETWEEN.join(out)
