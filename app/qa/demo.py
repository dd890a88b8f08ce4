"""Q&A demo data for ``flask seed-demo``: a "Q&A" category with a few questions,
tags, votes, comments and accepted answers.

Like ``app.demo`` it writes through the models (no mail, no plug-in events) and is
idempotent by natural keys: the category slug and each question's title.
"""

from __future__ import annotations

import textwrap
from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import User
from app.core.db import utcnow
from app.core.sanitize import render_markdown
from app.extensions import db
from app.forums.models import Category, Post, Topic, TopicWatch
from app.forums.posting import slugify
from app.qa.models import (
    QAAcceptedAnswer,
    QACategory,
    QAComment,
    QAReputationEvent,
    QATag,
    QATopicTag,
    QAVote,
)
from app.qa.settings import DEFAULTS

CATEGORY = dict(
    slug="questions",
    name="Q&A",
    position=6,
    description="Ask a precise question, get answers from partners who have done it. Vote and accept.",
)
TAG_DESCRIPTIONS = {
    "sso": "Single sign-on: SAML, OIDC, identity providers.",
    "api": "The platform's public REST API: auth, limits, pagination.",
    "licensing": "Subscriptions, seats, renewals and co-terming.",
    "deal-registration": "Registering opportunities and protecting margin.",
}


def _md(text: str) -> str:
    return textwrap.dedent(text).strip()


# (author, title, body, tags, answers[(author, body, upvoters, accepted)], question upvoters, comments)
QUESTIONS = [
    dict(
        author="bob",
        hours_ago=30,
        tags=["sso", "saml"],
        voters=["alice", "carol", "dave"],
        title="SAML login loops back to the sign-in page with Azure AD",
        body=_md("""
            After configuring SAML with Azure AD, users authenticate and are sent straight back
            to our sign-in page. The assertion looks fine in the SAML tracer. What am I missing?
         """),
        answers=[
            (
                "mentor",
                _md("""
                Nine times out of ten it is the **Reply URL**: Azure AD must post to
                `https://<tenant>/saml/acs` exactly, trailing slash included. Also check the clock
                skew on your proxy: assertions older than 5 minutes are rejected silently.
             """),
                ["alice", "bob", "carol", "erin"],
                True,
            ),
            (
                "dave",
                "We had the same loop; our reverse proxy stripped the `SameSite=None` cookie attribute.",
                ["bob"],
                False,
            ),
        ],
        comments=[("alice", "Which proxy are you running in front of it?")],
    ),
    dict(
        author="erin",
        hours_ago=20,
        tags=["api", "pagination"],
        voters=["grace"],
        title="How do I page through more than 10,000 API results?",
        body="The `/v2/accounts` endpoint stops at offset 10000. Is there a cursor-based alternative?",
        answers=[
            (
                "grace",
                _md("""
                Use the `cursor` parameter instead of `offset`: every response carries a
                `next_cursor`; pass it back until it is `null`. Offsets are capped on purpose.
             """),
                ["erin", "frank", "mentor"],
                True,
            ),
        ],
        comments=[],
    ),
    dict(
        author="alice",
        hours_ago=12,
        tags=["licensing", "renewals"],
        voters=["dave", "heidi"],
        title="Can we co-term a mid-year seat increase with the annual renewal?",
        body="A customer adds 40 seats in month 5. Can the new seats end on the existing renewal date?",
        answers=[
            (
                "admin",
                "Yes: choose *co-term* in the quote tool; the price is prorated to the renewal date.",
                ["alice", "bob"],
                False,
            ),
        ],
        comments=[("heidi", "Does this also work for multi-year contracts?")],
    ),
    dict(
        author="ivan",
        hours_ago=6,
        tags=["deal-registration"],
        voters=[],
        title="How long does deal registration approval usually take?",
        body="I registered a deal on Monday and it is still pending. Is a week normal?",
        answers=[],
        comments=[],
    ),
    dict(
        author="judy",
        hours_ago=3,
        tags=["api", "webhooks"],
        voters=["carol"],
        title="Are webhook deliveries retried when our endpoint is down?",
        body="We had a two-hour outage. Did we lose the events from that window?",
        answers=[
            (
                "bob",
                "They are retried with exponential backoff for 24 hours, so you should be fine.",
                ["judy"],
                False,
            ),
        ],
        comments=[],
    ),
]


def _ledger(user: User, kind: str, post: Post, actor: User, when) -> None:
    db.session.add(
        QAReputationEvent(
            user_id=user.id,
            kind=kind,
            points=DEFAULTS[f"points_{kind}"],
            post_id=post.id,
            actor_id=actor.id,
            created_at=when,
        )
    )


def _tag(name: str) -> QATag:
    tag = db.session.scalar(sa.select(QATag).where(QATag.name == name))
    if tag is None:
        tag = QATag(name=name, description=TAG_DESCRIPTIONS.get(name, ""))
        db.session.add(tag)
        db.session.flush()
    return tag


def _vote(post: Post, users: dict[str, User], names: list[str], when) -> None:
    for name in names:
        voter = users.get(name)
        if voter is None or voter.id == post.author_id:
            continue
        db.session.add(QAVote(post_id=post.id, user_id=voter.id, value=1, created_at=when, updated_at=when))
        kind = "question_upvoted" if post.number == 1 else "answer_upvoted"
        _ledger(post.author, kind, post, voter, when)


def _add_question(spec: dict, category: Category, users: dict[str, User]) -> None:
    start = utcnow() - timedelta(hours=spec["hours_ago"])
    author = users[spec["author"]]
    topic = Topic(
        category=category,
        author=author,
        title=spec["title"],
        slug=slugify(spec["title"]),
        created_at=start,
        last_posted_at=start,
        last_poster=author,
    )
    db.session.add(topic)
    entries = [(spec["author"], spec["body"], spec["voters"], False), *spec["answers"]]
    posts = []
    for number, (name, body, voters, accepted) in enumerate(entries, start=1):
        when = start + timedelta(minutes=53 * (number - 1))
        post = Post(
            topic=topic,
            author=users[name],
            number=number,
            body=body,
            body_html=render_markdown(body),
            created_at=when,
        )
        db.session.add(post)
        db.session.flush()
        posts.append(post)
        topic.last_posted_at, topic.last_poster = when, users[name]
        _vote(post, users, voters, when)
        if accepted:
            db.session.add(
                QAAcceptedAnswer(
                    post_id=post.id,
                    topic_id=topic.id,
                    slot=0,
                    accepted_by_id=author.id,
                    accepted_at=when + timedelta(hours=1),
                )
            )
            if post.author_id != author.id:
                _ledger(post.author, "answer_accepted", post, author, when)
                _ledger(author, "accepting_answer", post, author, when)
    topic.post_count = topic.highest_post_number = len(posts)
    for offset, (name, text) in enumerate(spec["comments"]):
        db.session.add(
            QAComment(
                post_id=posts[0].id,
                author_id=users[name].id,
                body=text,
                body_html=render_markdown(text),
                created_at=start + timedelta(minutes=10 + offset),
            )
        )
    for tag_name in spec["tags"]:
        db.session.add(QATopicTag(topic_id=topic.id, tag_id=_tag(tag_name).id))
    for user_id in {post.author_id for post in posts}:
        db.session.add(TopicWatch(user_id=user_id, topic_id=topic.id))


def seed_qa_demo() -> int:
    """Add the Q&A category and questions that are missing; returns questions added."""
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    if any(spec["author"] not in users for spec in QUESTIONS):
        return 0  # the base demo people are not there: nothing sensible to add
    category = db.session.scalar(sa.select(Category).where(Category.slug == CATEGORY["slug"]))
    if category is None:
        category = Category(**CATEGORY)
        db.session.add(category)
        db.session.flush()
    if db.session.get(QACategory, category.id) is None:
        db.session.add(QACategory(category_id=category.id, multiple_accepted=False))
    added = 0
    for spec in QUESTIONS:
        exists = db.session.scalar(
            sa.select(Topic.id).where(Topic.category_id == category.id, Topic.title == spec["title"])
        )
        if exists is None:
            _add_question(spec, category, users)
            added += 1
    db.session.flush()
    return added
