"""Asking, answering, listing and reading questions.

Questions and answers are written through the forum services, so moderation,
notifications, mentions, revisions and unread tracking work unchanged; this module
adds tags on the way in and votes, acceptance and sorting on the way out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.core.errors import Invalid, NotFound
from app.core.pagination import CountedPage
from app.core.permissions import can, is_staff, require
from app.extensions import db
from app.forums import services as forums
from app.forums.models import Category, Post, Topic
from app.plugins import fire, plugin_manager
from app.qa import acceptance, closing, comments, tags, votes
from app.qa.categories import qa_settings_for
from app.qa.models import QAAcceptedAnswer, QATag, QATopicTag

TABS = ("newest", "active", "unanswered", "unsolved", "solved")
ANSWER_SORTS = ("votes", "newest", "oldest", "activity")
MAX_ANSWERS = 500
SIMILAR_LIMIT = 5
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "my",
        "of",
        "on",
        "or",
        "our",
        "the",
        "to",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
        "you",
        "your",
        "we",
        "us",
        "this",
        "that",
        "there",
    ]
)


def get_question(actor: Any, topic_id: int) -> Topic:
    """A question the actor may read; other topics and private ones answer 404."""
    topic = db.session.get(Topic, topic_id)
    if topic is None or qa_settings_for(topic.category_id) is None:
        raise NotFound("No such question.")
    require(actor, "topic.view", topic, hide=True)
    return topic


def ask_question(actor: Any, category: Category, title: str, body: str, tag_input: str | list[str]) -> Topic:
    """Open a question with 1–5 tags. Tags are validated before anything is written."""
    if qa_settings_for(category.id) is None:
        require(actor, "category.view", category, hide=True)
        raise Invalid("Choose a Q&A category.", field="category")
    names = tags.parse_tags(tag_input)
    topic = forums.create_topic(actor, category, title, body)
    tag_rows = tags.set_topic_tags(topic, names)
    fire("question_asked", topic=topic, actor=actor, tags=tag_rows)
    return topic


def answer_question(actor: Any, topic: Topic, body: str) -> Post:
    """Add an answer; closed questions take none (see ``hooks.permission_rule``)."""
    require(actor, "topic.view", topic, hide=True)
    if qa_settings_for(topic.category_id) is None:
        raise NotFound("No such question.")
    return forums.create_reply(actor, topic, body)


# --- lists ---------------------------------------------------------------------------


@dataclass
class QuestionList(CountedPage):
    items: list[Topic]
    page: int
    per_page: int
    total: int
    scores: dict[int, int] = field(default_factory=dict)
    tags: dict[int, list[str]] = field(default_factory=dict)
    solved: set[int] = field(default_factory=set)
    closed: set[int] = field(default_factory=set)


def _solved_exists() -> sa.Exists:
    return (
        sa.exists()
        .where(QAAcceptedAnswer.topic_id == Topic.id)
        .where(sa.exists().where(Post.id == QAAcceptedAnswer.post_id, Post.deleted_at.is_(None)))
    )


def list_questions(
    actor: Any, tab: str = "newest", tag: QATag | None = None, page: int = 1, per_page: int = 30
) -> QuestionList:
    if tab not in TABS:
        tab = "newest"
    query = sa.select(Topic).where(tags.visible_questions_filter(actor))
    if tag is not None:
        query = query.where(sa.exists().where(QATopicTag.topic_id == Topic.id, QATopicTag.tag_id == tag.id))
    order = [Topic.created_at.desc(), Topic.id.desc()]
    if tab == "active":
        order = [Topic.last_posted_at.desc(), Topic.id.desc()]
    elif tab == "unanswered":
        query = query.where(Topic.post_count <= 1)
    elif tab == "unsolved":
        query = query.where(~_solved_exists())
    elif tab == "solved":
        query = query.where(_solved_exists())
    page = max(int(page or 1), 1)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    items = list(
        db.session.scalars(
            query.options(selectinload(Topic.author), selectinload(Topic.category))
            .order_by(*order)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return _decorate(QuestionList(items, page, per_page, total))


def _decorate(result: QuestionList) -> QuestionList:
    ids = [t.id for t in result.items]
    if not ids:
        return result
    first_posts = dict(
        db.session.execute(
            sa.select(Post.topic_id, Post.id).where(Post.topic_id.in_(ids), Post.number == 1)
        ).all()
    )
    post_scores = votes.scores(set(first_posts.values()))
    result.scores = {topic_id: post_scores.get(post_id, 0) for topic_id, post_id in first_posts.items()}
    result.tags = tags.tags_for_topics(ids)
    result.solved = set(db.session.scalars(sa.select(Topic.id).where(Topic.id.in_(ids), _solved_exists())))
    result.closed = closing.closed_topic_ids(ids)
    return result


# --- one question ------------------------------------------------------------------


@dataclass
class QuestionPage:
    topic: Topic
    question: Post
    accepted: list[Post]
    answers: list[Post]
    scores: dict[int, int]
    my_votes: dict[int, int]
    comments: dict[int, list]
    tags: list[str]
    sort: str
    multiple_accepted: bool
    accepted_ids: set[int] = field(default_factory=set)


def _activity(post: Post, post_comments: list) -> Any:
    moments = [post.created_at, post.edited_at, *(c.created_at for c in post_comments)]
    return max(moment for moment in moments if moment is not None)


def question_page(actor: Any, topic: Topic, sort: str = "votes") -> QuestionPage:
    """Everything the question page shows, in a fixed handful of queries."""
    require(actor, "topic.view", topic, hide=True)
    settings = qa_settings_for(topic.category_id)
    if settings is None:
        raise NotFound("No such question.")
    if sort not in ANSWER_SORTS:
        sort = "votes"
    query = sa.select(Post).where(Post.topic_id == topic.id)
    if not is_staff(actor):
        query = query.where(Post.deleted_at.is_(None))
    posts = [
        p
        for p in db.session.scalars(
            query.options(selectinload(Post.author)).order_by(Post.number).limit(MAX_ANSWERS + 1)
        )
        if can(actor, "post.view", p)
    ]
    question = next((p for p in posts if p.number == 1), None)
    if question is None:
        raise NotFound("No such question.")
    answers = [p for p in posts if p.number != 1]
    ids = [p.id for p in posts]
    scores = votes.scores(ids)
    post_comments = comments.comments_for(ids)
    accepted_ids = set(acceptance.accepted_answer_ids(topic.id))
    if sort == "votes":
        answers.sort(key=lambda p: (-scores.get(p.id, 0), p.created_at, p.id))
    elif sort == "newest":
        answers.sort(key=lambda p: (p.created_at, p.id), reverse=True)
    elif sort == "oldest":
        answers.sort(key=lambda p: (p.created_at, p.id))
    else:
        answers.sort(key=lambda p: (_activity(p, post_comments[p.id]), p.id), reverse=True)
    accepted = [p for p in answers if p.id in accepted_ids and p.deleted_at is None]
    others = [p for p in answers if p not in accepted]
    return QuestionPage(
        topic=topic,
        question=question,
        accepted=accepted,
        answers=others,
        scores=scores,
        my_votes=votes.votes_by(actor, ids),
        comments=post_comments,
        tags=tags.tags_for_topics([topic.id])[topic.id],
        sort=sort,
        multiple_accepted=settings.multiple_accepted,
        accepted_ids=accepted_ids,
    )


# --- similar questions ---------------------------------------------------------------


def significant_words(title: str, limit: int = 8) -> list[str]:
    words = re.findall(r"[\w+#.-]+", (title or "").lower())
    seen: list[str] = []
    for word in words:
        word = word.strip(".-")
        if len(word) >= 3 and word not in _STOPWORDS and word not in seen:
            seen.append(word)
    return seen[:limit]


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def similar_questions(actor: Any, title: str, limit: int = SIMILAR_LIMIT) -> list[Topic]:
    """Questions whose titles share the most significant words with ``title``.

    Uses the search feature when it is installed; otherwise a LIKE per word, ranked by
    how many words match, over questions the actor may see.
    """
    title = (title or "").strip()[:200]
    words = significant_words(title)
    if not words:
        return []
    found = _similar_via_search(actor, words, limit)
    if found is not None:
        return found
    matches = [
        sa.case((sa.func.lower(Topic.title).like(f"%{_escape_like(word)}%", escape="\\"), 1), else_=0)
        for word in words
    ]
    rank = sum(matches[1:], matches[0])
    query = (
        sa.select(Topic)
        .where(tags.visible_questions_filter(actor), rank > 0)
        .order_by(rank.desc(), Topic.last_posted_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def _similar_via_search(actor: Any, words: list[str], limit: int) -> list[Topic] | None:
    """Ask search (any-word match over ``question`` documents) through the
    ``search_similar`` hook, so Q&A never imports the search feature that indexes it.

    None means "no answer from search" (not enabled, failed, or nothing found): the
    caller then uses the title query. Hits are re-checked against the viewer's visible
    questions, so a stale index entry can never leak a question.
    """
    try:
        keys = plugin_manager().hook.search_similar(
            actor=actor, text=" ".join(words), kinds=["question"], limit=limit * 2
        )
    except Exception:  # noqa: BLE001 - the title query is always correct, only less clever
        return None
    ids: list[int] = []
    for key in keys or []:
        raw = str(key).partition(":")[2]
        if raw.isdigit() and int(raw) not in ids:
            ids.append(int(raw))
    if not ids:
        return None
    visible = sa.select(Topic).where(Topic.id.in_(ids), tags.visible_questions_filter(actor))
    topics = {t.id: t for t in db.session.scalars(visible)}
    found = [topics[i] for i in ids if i in topics][:limit]
    return found or None
