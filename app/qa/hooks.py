"""Internal hook implementations of the Q&A feature: nav item, the closed-question
permission rule, and listeners that keep reputation and notifications in step."""

from __future__ import annotations

from typing import Any

from flask import render_template

from app.core.permissions import is_staff, only_for_actions
from app.plugins import hookimpl
from app.qa import notices, reputation
from app.qa.categories import is_question
from app.qa.closing import state_of
from app.qa.reputation import reputation_of
from app.qa.tags import tags_for_topics


def _is_qa_post(post: Any) -> bool:
    return is_question(post.topic)


@hookimpl
def nav_items(actor: Any) -> list[dict]:
    return [{"label": "Q&A", "endpoint": "qa.index", "order": 25}]


@hookimpl
@only_for_actions("topic.reply")
def permission_rule(actor: Any, action: str, obj: Any) -> bool | None:
    """A closed question takes no new answers, from any page (staff excepted)."""
    if action != "topic.reply" or obj is None or is_staff(actor):
        return None
    topic_id = getattr(obj, "id", None)
    if topic_id is not None and state_of(topic_id) is not None:
        return False
    return None


@hookimpl(tryfirst=True)
def post_created(post: Any, actor: Any) -> None:
    # Before the notifications listener: the asker's "answered your question" notice
    # must exist first, so the forum's "replied to your topic" for the same post folds
    # into it instead of arriving twice.
    if post.number != 1 and _is_qa_post(post):
        notices.new_answer(post, actor)


@hookimpl
def post_deleted(post: Any, actor: Any) -> None:
    if _is_qa_post(post):
        reputation.post_removed(post)


@hookimpl
def post_restored(post: Any, actor: Any) -> None:
    if _is_qa_post(post):
        reputation.post_restored(post)


@hookimpl
def question_asked(topic: Any, actor: Any, tags: list) -> None:
    notices.question_asked(topic, actor, tags)


@hookimpl
def answer_accepted(post: Any, actor: Any) -> None:
    notices.answer_accepted(post, actor)


@hookimpl
def comment_added(comment: Any, post: Any, actor: Any) -> None:
    notices.comment_added(comment, post, actor)


@hookimpl
def template_panel(name: str, context: dict) -> str | None:
    """The member's reputation in their profile sidebar."""
    if name != "profile_sidebar" or context.get("user") is None:
        return None

    return render_template(
        "qa/_profile_panel.html", user=context["user"], reputation=reputation_of(context["user"])
    )


@hookimpl
def search_topic_fields(topic: Any) -> dict | None:
    """Questions are indexed as ``question`` (replies as ``answer``) with their tags."""

    if topic is None or getattr(topic, "id", None) is None or not is_question(topic):
        return None
    return {"kind": "question", "tags": tags_for_topics([topic.id])[topic.id]}
