"""The expert finder: who answers well on a tag or a specialism.

A member's standing on a tag is what their answers there earned: accepted answers
and upvotes, weighted by the Q&A points settings (ties go to whoever answered more) (so the ranking agrees with the
reputation the Q&A pages show). Only questions the reader can see count, so a
restricted category never shows through a ranking, and only members the directory
lists appear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.core.errors import Invalid, NotFound
from app.directory.facets import listed_people
from app.directory.listing_query import printable
from app.directory.models import DirectoryFacet
from app.extensions import db
from app.forums.models import Post, Topic
from app.qa.models import QAAcceptedAnswer, QATag, QATopicTag, QAVote
from app.qa.settings import setting
from app.qa.tags import TAG_RE, get_tag, visible_questions_filter

LIMIT = 50
SPECIALISM_MAX = 60


@dataclass
class Expert:
    user: User
    accepted: int = 0
    upvotes: int = 0
    answers: int = 0
    score: int = 0
    lists_specialism: bool = False


def clean_tag_name(name: str) -> str:
    name = (name or "").strip().lower()
    if not TAG_RE.match(name):
        raise Invalid(
            "That is not a tag name: tags are up to 30 lowercase letters, digits and . + # -.", field="tag"
        )
    return name


def clean_specialism(text: str) -> str:
    text = " ".join((text or "").split())
    if not text or len(text) > SPECIALISM_MAX or not printable(text):
        raise Invalid(f"Name a specialism of 1 to {SPECIALISM_MAX} characters.", field="specialism")
    return text


def tag_for_specialism(specialism: str) -> str | None:
    """The tag spelled like a specialism ("Cloud licensing" → ``cloud-licensing``)."""
    candidate = re.sub(r"\s+", "-", specialism.strip().lower())
    return candidate if TAG_RE.match(candidate) else None


def _tag_scores(reader: Any, tag: QATag) -> dict[int, tuple[int, int, int]]:
    """``{author_id: (accepted answers, upvotes, answers)}`` on visible questions with ``tag``."""
    questions = (
        sa.select(Topic.id)
        .join(QATopicTag, QATopicTag.topic_id == Topic.id)
        .where(QATopicTag.tag_id == tag.id, visible_questions_filter(reader))
    )
    live_answer = sa.and_(
        Post.topic_id.in_(questions), Post.number > 1, Post.deleted_at.is_(None), Post.hidden.is_(False)
    )
    answered = db.session.execute(
        sa.select(Post.author_id, sa.func.count(Post.id)).where(live_answer).group_by(Post.author_id)
    ).all()
    accepted = dict(
        db.session.execute(
            sa.select(Post.author_id, sa.func.count(sa.distinct(QAAcceptedAnswer.post_id)))
            .join(QAAcceptedAnswer, QAAcceptedAnswer.post_id == Post.id)
            .where(live_answer)
            .group_by(Post.author_id)
        ).all()
    )
    upvotes = dict(
        db.session.execute(
            sa.select(Post.author_id, sa.func.count(QAVote.id))
            .join(QAVote, QAVote.post_id == Post.id)
            .where(live_answer, QAVote.value == 1)
            .group_by(Post.author_id)
        ).all()
    )
    return {
        author_id: (int(accepted.get(author_id, 0)), int(upvotes.get(author_id, 0)), int(count))
        for author_id, count in answered
    }


def _rank(scores: dict[int, tuple[int, int, int]], listing: set[int], limit: int) -> list[Expert]:
    candidates = set(scores) | listing
    if not candidates:
        return []
    users = db.session.scalars(
        sa.select(User).where(User.id.in_(sorted(candidates)), User.id.in_(listed_people()))
    ).all()
    accepted_points = setting("points_answer_accepted")
    upvote_points = setting("points_answer_upvoted")
    experts = []
    for user in users:
        accepted, upvotes, answers = scores.get(user.id, (0, 0, 0))
        score = accepted * accepted_points + upvotes * upvote_points
        experts.append(Expert(user, accepted, upvotes, answers, score, user.id in listing))
    experts.sort(
        key=lambda e: (
            -e.score,
            -e.accepted,
            -e.answers,
            not e.lists_specialism,
            e.user.display_name.casefold(),
        )
    )
    return experts[:limit]


def experts_for_tag(reader: Any, name: str, limit: int = LIMIT) -> tuple[QATag, list[Expert]]:
    """Members ranked on a tag; NotFound for a tag the reader cannot see used."""
    tag = get_tag(reader, clean_tag_name(name))
    return tag, _rank(_tag_scores(reader, tag), set(), limit)


def experts_for_specialism(reader: Any, specialism: str, limit: int = LIMIT) -> tuple[str, list[Expert]]:
    """Members who answer on the specialism's tag, and members who list it (and did
    not hide their specialisms: those have no facet row)."""
    specialism = clean_specialism(specialism)
    scores: dict[int, tuple[int, int, int]] = {}
    tag_name = tag_for_specialism(specialism)
    if tag_name is not None:
        try:
            tag = get_tag(reader, tag_name)
        except NotFound:
            tag = None
        if tag is not None:
            scores = _tag_scores(reader, tag)
    listing = set(
        db.session.scalars(
            sa.select(DirectoryFacet.subject_id).where(
                DirectoryFacet.subject_type == "user",
                DirectoryFacet.facet == "specialism",
                sa.func.lower(DirectoryFacet.value) == sa.func.lower(specialism),
            )
        )
    )
    return specialism, _rank(scores, listing, limit)
