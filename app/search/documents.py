"""Building search documents, and the principals allowed to read each one.

A document is plain data (:class:`Document`) built from the database's current state,
so indexing is idempotent: re-indexing a key always converges on what the database says
now. Each document lists the principals that may read it; a reader sees a document
when they share at least one principal (see :mod:`app.search.principals`).

Forum documents carry ``category:<id>`` rather than the category's policy, so a policy
change is decided at query time by the reader's visible categories; anything hidden or
deleted (post, topic, suspended or unconfirmed member) carries only the staff roles.

Q&A and other features shape forum documents through the ``search_topic_fields`` hook
(kind ``question``/``answer``, tags) so this module never imports them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Organization, User
from app.accounts.places import country_name
from app.core.db import in_id_batches, utcnow
from app.core.urls import path_for
from app.forums.models import Post, Topic
from app.plugins import plugin_manager

log = logging.getLogger("guildhall.search")

STAFF = ["role:moderator", "role:admin"]
PUBLIC = ["public"]
CORE_KINDS = ("topic", "question", "post", "answer", "member", "organization")
KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
STORED_BODY_MAX = 20_000


@dataclass
class Document:
    key: str
    kind: str
    title: str
    body: str
    url: str
    principals: list[str]
    created_at: datetime
    category_id: int | None = None
    organization_id: int | None = None
    author_id: int | None = None
    tags: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    # Replies repeat their topic's title for display only: matching it would make
    # every reply a hit for the topic's title words.
    index_title: bool = True


def _topic_fields(topic: Topic) -> dict:
    """Extra fields a feature contributes for a topic (``kind``, ``tags``)."""
    merged: dict = {}
    for answer in plugin_manager().hook.search_topic_fields(topic=topic):
        if answer:
            merged.update(answer)
    return merged


def _topic_principals(topic: Topic) -> list[str]:
    if topic.deleted_at is not None or topic.hidden:
        return list(STAFF)
    return [f"category:{topic.category_id}"]


def _post_principals(post: Post, topic_principals: list[str]) -> list[str]:
    if post.hidden or post.deleted_at is not None:
        return list(STAFF)
    return topic_principals


def _clip(text: str) -> str:
    return (text or "")[:STORED_BODY_MAX]


# Elements after which the text continues on a new line, and table cells, which run
# on with a space between them.
_BLOCK_TAGS = frozenset(
    {"p", "br", "li", "ul", "ol", "blockquote", "pre", "hr", "tr", "table",
     "h1", "h2", "h3", "h4", "h5", "h6"}
)  # fmt: skip
_CELL_TAGS = frozenset({"td", "th"})


class _TextOfHtml(HTMLParser):
    """The words a reader sees in sanitized post HTML, with its entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in _CELL_TAGS:
            self.parts.append(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f" {alt} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in _CELL_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def post_text(post: Post) -> str:
    """A post as plain text, taken from its rendered (sanitized) HTML rather than its
    Markdown source: what is indexed and what a snippet quotes is what readers see,
    never ``**``, table pipes or link syntax. Lines are kept, runs of spaces folded."""
    parser = _TextOfHtml()
    parser.feed(post.body_html or "")
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def topic_documents(topic: Topic, posts: Iterable[Post] | None = None) -> list[Document]:
    """The topic document (title + opening post) and, when given, its replies."""
    extra = _topic_fields(topic)
    question = extra.get("kind") == "question"
    tags = sorted({str(t).strip().lower()[:50] for t in extra.get("tags") or [] if str(t).strip()})
    principals = _topic_principals(topic)
    meta = {"category": topic.category.name if topic.category else "", "topic_id": topic.id}
    opening = None
    replies: list[Post] = []
    for post in posts if posts is not None else []:
        if post.number == 1:
            opening = post
        else:
            replies.append(post)
    if opening is None:
        opening = topic_opening_post(topic)
    docs = []
    if opening is not None:
        docs.append(
            Document(
                key=f"topic:{topic.id}",
                kind="question" if question else "topic",
                title=topic.title,
                body=_clip(post_text(opening)),
                url=path_for("forums.topic", topic_id=topic.id, slug=topic.slug),
                principals=_post_principals(opening, principals),
                created_at=topic.created_at,
                category_id=topic.category_id,
                author_id=topic.author_id,
                organization_id=opening.author.organization_id if opening.author else None,
                tags=tags,
                meta={**meta, "author": opening.author.display_name if opening.author else ""},
            )
        )
    for post in replies:
        docs.append(post_document(post, topic, principals, question, tags, meta))
    return docs


def post_document(
    post: Post,
    topic: Topic,
    topic_principals: list[str] | None = None,
    question: bool | None = None,
    tags: list[str] | None = None,
    meta: dict | None = None,
) -> Document:
    """A reply (an answer, in a Q&A topic); the opening post lives in the topic document."""
    if question is None or tags is None or meta is None:
        extra = _topic_fields(topic)
        question = extra.get("kind") == "question"
        tags = sorted({str(t).strip().lower()[:50] for t in extra.get("tags") or [] if str(t).strip()})
        meta = {"category": topic.category.name if topic.category else "", "topic_id": topic.id}
    principals = topic_principals if topic_principals is not None else _topic_principals(topic)
    return Document(
        key=f"post:{post.id}",
        kind="answer" if question else "post",
        title=f"Re: {topic.title}",
        body=_clip(post_text(post)),
        url=path_for("forums.post_link", post_id=post.id),
        principals=_post_principals(post, principals),
        created_at=post.created_at,
        category_id=topic.category_id,
        author_id=post.author_id,
        organization_id=post.author.organization_id if post.author else None,
        tags=tags,
        meta={**meta, "author": post.author.display_name if post.author else ""},
        index_title=False,
    )


def topic_opening_post(topic: Topic) -> Post | None:
    session = sa.inspect(topic).session
    return session.scalar(sa.select(Post).where(Post.topic_id == topic.id, Post.number == 1))


def member_facts(user_ids: list[int], session: Session) -> dict[int, dict]:
    """The directory's facts for each member document (see ``search_member_facts``):
    search asks through the hook rather than importing the directory it indexes.
    Without an answer a member is indexed with what the account shows."""
    answer = plugin_manager().hook.search_member_facts(user_ids=list(user_ids), session=session) or {}
    empty = {
        "hidden": False,
        "hidden_fields": set(),
        "certifications": [],
        "industries": [],
        "public_values": [],
    }
    return {user_id: answer.get(user_id) or dict(empty) for user_id in user_ids}


def member_document(user: User, directory: dict | None = None) -> Document:
    """A member profile; unconfirmed and suspended members are visible to staff only.

    A member hidden from the directory is readable by themselves and staff only; the
    built-in fields and custom values they hid never enter the document, and only
    searchable custom fields visible to everyone go into its (public) body.
    ``directory`` is the member's preloaded directory data (the
    ``search_member_facts`` hook, which the directory answers), loaded here when not given.
    """
    if directory is None:
        directory = member_facts([user.id], sa.inspect(user).session)[user.id]
    data = directory
    hidden_fields = data["hidden_fields"]
    hidden = user.confirmed_at is None or user.is_suspended
    org = user.organization

    def shown(name: str, value: str) -> str:
        return "" if name in hidden_fields else value

    parts = [
        user.username,
        shown("job_title", user.job_title),
        shown("region", user.region),
        shown("country", f"{user.country} {country_name(user.country)}"),  # code and name
        shown("specialisms", " ".join(user.specialisms or [])),
        shown("languages", " ".join(user.languages or [])),
        shown("certifications", " ".join(data["certifications"])),
        shown("industries", " ".join(data["industries"])),
        *data["public_values"],
        org.name if org else "",
        user.bio,
    ]
    if hidden:
        principals = list(STAFF)
    elif data["hidden"]:
        principals = [f"user:{user.id}", *STAFF]
    else:
        principals = list(PUBLIC)
    return Document(
        key=f"user:{user.id}",
        kind="member",
        title=user.display_name,
        body=_clip("\n".join(p for p in parts if p)),
        url=path_for("accounts.profile", username=user.username),
        principals=principals,
        created_at=user.created_at,
        organization_id=user.organization_id,
        author_id=user.id,
        # What the member's hit card shows (templates/search/results.html): hidden
        # fields stay out here as in the body.
        meta={
            "job_title": shown("job_title", user.job_title),
            "organization": org.name if org else "",
            "partner_type": org.partner_type_label if org else "",
            "tier": org.tier if org else "",
            "region": shown("region", user.region),
        },
    )


def organization_document(org: Organization) -> Document:
    parts = [
        org.partner_type_label,
        org.tier,
        " ".join(org.regions or []),
        " ".join(org.specialisms or []),
        " ".join(org.industries or []),
        org.description,
    ]
    return Document(
        key=f"org:{org.id}",
        kind="organization",
        title=org.name,
        body=_clip("\n".join(p for p in parts if p)),
        url=path_for("accounts.organization", slug=org.slug),
        principals=list(PUBLIC),
        created_at=org.created_at,
        organization_id=org.id,
        meta={
            "tier": org.tier,
            "partner_type": org.partner_type_label,
            "regions": ", ".join(org.regions or []),
        },
    )


def plugin_document(raw: dict) -> Document | None:
    """Validate a plug-in's document dict; bad ones are dropped (and logged by the caller).

    A document without principals is readable by staff only: failing closed.
    """
    kind = str(raw.get("kind") or "")
    ident = str(raw.get("id") or "")
    if not KIND_RE.match(kind) or kind in CORE_KINDS or not ident or len(ident) > 100:
        return None
    principals = [str(p) for p in raw.get("principals") or [] if p and " " not in str(p)] or list(STAFF)
    when = raw.get("created_at") or raw.get("updated_at") or utcnow()
    if not isinstance(when, datetime):
        when = utcnow()
    url = str(raw.get("url") or "")
    if not url.startswith("/") or url.startswith("//"):
        url = ""
    return Document(
        key=f"{kind}:{ident}",
        kind=kind,
        title=str(raw.get("title") or "")[:500],
        body=_clip(str(raw.get("body") or "")),
        url=url,
        principals=principals,
        created_at=when.replace(tzinfo=None),
        category_id=_int_or_none(raw.get("category_id")),
        organization_id=_int_or_none(raw.get("organization_id")),
        author_id=_int_or_none(raw.get("author_id")),
        tags=[str(t).strip().lower()[:50] for t in raw.get("tags") or [] if str(t).strip()],
        meta={k: str(v) for k, v in (raw.get("meta") or {}).items()},
    )


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


# --- whole-database iteration (reindex, check) ---------------------------------------


def iter_forum_documents(session: Session, batch: int = 500) -> Iterator[Document]:
    """Every topic's documents, topic by topic in id order, a batch of topics per query."""
    for topics in in_id_batches(session, Topic, batch, selectinload(Topic.category)):
        ids = [t.id for t in topics]
        posts_by_topic: dict[int, list[Post]] = {}
        for post in session.scalars(
            sa.select(Post).where(Post.topic_id.in_(ids)).options(selectinload(Post.author))
        ):
            posts_by_topic.setdefault(post.topic_id, []).append(post)
        for topic in topics:
            yield from topic_documents(topic, posts_by_topic.get(topic.id, []))
        session.expunge_all()


def iter_people_documents(session: Session, batch: int = 500) -> Iterator[Document]:
    for users in in_id_batches(session, User, batch, selectinload(User.organization)):
        directory = member_facts([user.id for user in users], session)
        for user in users:
            yield member_document(user, directory[user.id])
    for org in session.scalars(sa.select(Organization)):
        yield organization_document(org)


def iter_plugin_documents(since: datetime | None = None) -> Iterator[Document]:
    for answer in plugin_manager().hook.search_documents(since=since):
        for raw in answer or []:
            doc = plugin_document(raw) if isinstance(raw, dict) else None
            if doc is None:
                log.warning("dropped an invalid plug-in search document")
                continue
            yield doc


def database_counts(session: Session) -> dict[str, int]:
    """How many documents the database implies, by kind group (for ``flask search check``)."""
    topics = session.scalar(sa.select(sa.func.count()).select_from(Topic)) or 0
    posts = session.scalar(sa.select(sa.func.count()).select_from(Post).where(Post.number > 1)) or 0
    members = session.scalar(sa.select(sa.func.count()).select_from(User)) or 0
    orgs = session.scalar(sa.select(sa.func.count()).select_from(Organization)) or 0
    return {"topic": topics, "post": posts, "member": members, "organization": orgs}
