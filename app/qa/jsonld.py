"""schema.org ``QAPage`` JSON-LD for a question page.

It goes into ``<script type="application/ld+json">``, which CSP treats as data. The
JSON is built with ``json.dumps`` and ``<``, ``>`` and ``&`` are written as ``\\u003c``
etc., so no user text can close the element or open a comment; only what the viewer
can already see on the page goes in.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from app.core.sanitize import plain_text

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _iso(moment: Any) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


def _answer(post: Any, score: int, url: str) -> dict:
    return {
        "@type": "Answer",
        "text": plain_text(post.body, limit=2000),
        "dateCreated": _iso(post.created_at),
        "upvoteCount": score,
        "url": f"{url}#answer-{post.id}",
        "author": {"@type": "Person", "name": post.author.display_name},
    }


def qa_page_json(page: Any, url: str) -> dict:
    question = page.question
    entity: dict[str, Any] = {
        "@type": "Question",
        "name": page.topic.title,
        "text": plain_text(question.body, limit=2000),
        "answerCount": len(page.accepted) + len(page.answers),
        "upvoteCount": page.scores.get(question.id, 0),
        "dateCreated": _iso(question.created_at),
        "author": {"@type": "Person", "name": question.author.display_name},
    }
    live = [p for p in page.answers if p.deleted_at is None and not p.hidden]
    accepted = [_answer(p, page.scores.get(p.id, 0), url) for p in page.accepted if not p.hidden]
    if accepted:
        entity["acceptedAnswer"] = accepted[0] if len(accepted) == 1 else accepted
    if live:
        entity["suggestedAnswer"] = [_answer(p, page.scores.get(p.id, 0), url) for p in live]
    return {"@context": "https://schema.org", "@type": "QAPage", "mainEntity": entity}


def dumps_for_script(data: dict) -> Markup:
    """JSON safe to place inside a script element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _ESCAPES.items():
        text = text.replace(char, escaped)
    return Markup(text)  # noqa: S704 - every <, >, & is escaped above
