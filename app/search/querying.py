"""Turning what a person typed into a bounded, safe query description.

No query syntax reaches a backend: the text is cut to ``MAX_QUERY_CHARS``, split into
words (letters and digits of any script) and double-quoted phrases, and capped at
``MAX_TERMS`` words. ``field:``, wildcards, parentheses, boolean operators and SQL are
just words (or nothing), so hostile input cannot make a parser fail or run long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from app.core.pagination import CountedPage

MAX_QUERY_CHARS = 256
MAX_TERMS = 8
MAX_TERM_CHARS = 40
WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
PHRASE_RE = re.compile(r'"([^"]*)"')


@dataclass
class ParsedQuery:
    words: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    match_any: bool = False  # OR the words (similar questions) instead of AND

    @property
    def empty(self) -> bool:
        return not self.words and not self.phrases

    def as_text(self) -> str:
        """The query rebuilt from safe words, e.g. for ``websearch_to_tsquery``."""
        parts = list(self.words) + ['"' + " ".join(p) + '"' for p in self.phrases]
        return " ".join(parts)


def _words(text: str) -> list[str]:
    return [w.lower()[:MAX_TERM_CHARS] for w in WORD_RE.findall(text)]


def parse_user_query(text: str | None) -> ParsedQuery:
    text = (text or "").replace("\x00", " ")[:MAX_QUERY_CHARS]
    parsed = ParsedQuery()
    budget = MAX_TERMS
    for match in PHRASE_RE.finditer(text):
        words = _words(match.group(1))[:budget]
        if len(words) > 1:
            parsed.phrases.append(words)
        elif words:
            parsed.words.extend(words)
        budget -= len(words)
        if budget <= 0:
            return parsed
    rest = PHRASE_RE.sub(" ", text).replace('"', " ")
    for word in _words(rest):
        if budget <= 0:
            break
        if word not in parsed.words:
            parsed.words.append(word)
            budget -= 1
    return parsed


@dataclass
class Filters:
    kinds: list[str] = field(default_factory=list)
    category_id: int | None = None
    tag: str | None = None
    organization_id: int | None = None
    author_id: int | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive


@dataclass
class Hit:
    key: str
    kind: str
    title: str
    url: str
    snippet: str  # HTML: escaped text with <mark> highlights
    created_at: datetime | None
    score: float = 0.0
    meta: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The object's id within its kind (``12`` for ``topic:12``)."""
        return self.key.partition(":")[2]


@dataclass
class SearchResult(CountedPage):
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]]
    page: int = 1
    per_page: int = 20
    query: str = ""
    # Facet labels a backend read with its facets (``{"organization": {"3": "Acme",
    # "4": None}}``, None: no such organization): the service looks up the others.
    labels: dict[str, dict[str, str | None]] = field(default_factory=dict)

    @property
    def items(self) -> list[Hit]:
        return self.hits


def as_datetime(value: date | datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return as_datetime(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return None
