"""Test data factories: small functions that build valid rows with sensible defaults.

They write through the models directly (fast, independent of the services under test)
and flush, leaving the commit to the test.
"""

from __future__ import annotations

import itertools
from typing import Any

from app.accounts.models import Organization, User
from app.accounts.passwords import hash_password
from app.accounts.sessions import open_session
from app.core.db import utcnow
from app.core.sanitize import render_markdown
from app.extensions import db
from app.forums.models import Category, Post, Topic

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"


def make_org(**fields: Any) -> Organization:
    n = next(_seq)
    values = {
        "name": f"Org {n}",
        "slug": f"org-{n}",
        "partner_type": "reseller",
        "tier": "gold",
        "regions": ["EMEA"],
        "specialisms": ["networking"],
        "industries": ["retail"],
    }
    values.update(fields)
    org = Organization(**values)
    db.session.add(org)
    db.session.flush()
    return org


def make_user(role: str = "member", password: str = PASSWORD, **fields: Any) -> User:
    from app.accounts.confusables import skeleton

    n = next(_seq)
    values = {
        "email": f"user{n}@example.com",
        "username": f"user{n}",
        "display_name": f"User {n}",
        "role": role,
        "confirmed_at": utcnow(),
    }
    values.update(fields)
    values.setdefault("display_skeleton", skeleton(values["display_name"]))
    user = User(password_hash=hash_password(password), **values)
    db.session.add(user)
    db.session.flush()
    return user


def browser_session_id(user: User) -> str:
    """What a browser signed in as ``user`` carries in its cookies (``session["_user_id"]``):
    a server-side session is opened and committed, as signing in through the form does,
    since the user loader accepts only live ones."""
    session_id = open_session(user)
    db.session.commit()
    return session_id


def make_category(**fields: Any) -> Category:
    n = next(_seq)
    values = {"name": f"Category {n}", "slug": f"category-{n}", "description": "A place to talk."}
    values.update(fields)
    category = Category(**values)
    db.session.add(category)
    db.session.flush()
    return category


def make_topic(author: User | None = None, category: Category | None = None, **fields: Any) -> Topic:
    """A topic with its opening post (number 1)."""
    author = author or make_user()
    category = category or make_category()
    body = fields.pop("body", "Opening post body.")
    n = next(_seq)
    values = {"title": f"Topic {n}", "slug": f"topic-{n}"}
    values.update(fields)
    topic = Topic(category=category, author=author, last_poster=author, **values)
    db.session.add(topic)
    db.session.flush()
    make_post(topic=topic, author=author, body=body)
    return topic


def make_post(topic: Topic, author: User | None = None, body: str = "A reply.", **fields: Any) -> Post:
    author = author or make_user()
    topic.highest_post_number += 1
    topic.post_count += 1
    topic.last_posted_at = utcnow()
    topic.last_poster = author
    post = Post(
        topic=topic,
        author=author,
        number=topic.highest_post_number,
        body=body,
        body_html=render_markdown(body),
        **fields,
    )
    db.session.add(post)
    db.session.flush()
    return post
