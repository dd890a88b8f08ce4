"""Shapes Q&A topics' search documents (kind ``question``/``answer``, tags).

A small adapter behind the ``search_topic_fields`` hook, so the indexer never imports
``app.qa``; it moves into ``app/qa/hooks.py`` whenever the Q&A feature prefers to own it.
"""

from __future__ import annotations

from typing import Any

from app.plugins import hookimpl


@hookimpl
def search_topic_fields(topic: Any) -> dict | None:
    try:
        from app.qa.categories import is_question
        from app.qa.tags import tags_for_topics
    except ImportError:  # the Q&A feature is not installed
        return None
    if not is_question(topic):
        return None
    return {"kind": "question", "tags": tags_for_topics([topic.id]).get(topic.id, [])}
