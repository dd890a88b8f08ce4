"""The council's document list: links and Markdown notes in its private space.

Who reads them is the rule of the rest of the private space (``meetings.may_read``:
a current member or observer who accepted the current charter, or an admin); who
writes them is the rule for minutes (``meetings.require_chair``: chairs, co-chairs and
admins). Outsiders get the ``NotFound`` a missing council gives. Search documents carry
only the ``council:<id>`` principal, which ``search_principals`` hands to readers, so a
member who leaves stops finding them at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from app.core.db import utcnow
from app.core.errors import Invalid, NotFound
from app.extensions import db
from app.plugins import fire
from app.plugins.councils.meetings import clean_markdown, clean_text, may_read, require_chair
from app.plugins.councils.models import Council, CouncilDocument

TITLE_MAX = 200
URL_MAX = 500
NOTE_MAX = 20_000
SEARCH_KIND = "council_document"
# Characters a browser would strip or reinterpret inside an address.
_URL_FORBIDDEN = frozenset("<>\"'`\\")


# --- reading ---------------------------------------------------------------------------------


def documents(actor: Any, council: Council) -> list[CouncilDocument]:
    """The council's documents, newest first, for a reader of its private space."""
    if not may_read(actor, council):
        raise NotFound()
    return list(
        db.session.scalars(
            sa.select(CouncilDocument)
            .where(CouncilDocument.council_id == council.id)
            .order_by(CouncilDocument.created_at.desc(), CouncilDocument.id.desc())
        )
    )


def document_for(actor: Any, council: Council, document_id: int) -> CouncilDocument:
    """One document of ``council``; another council's id answers like a missing one."""
    if not may_read(actor, council):
        raise NotFound()
    document = db.session.get(CouncilDocument, document_id)
    if document is None or document.council_id != council.id:
        raise NotFound()
    return document


# --- input -----------------------------------------------------------------------------------


def clean_url(value: Any) -> str:
    """An absolute http(s) address naming a host. Anything else (``javascript:``,
    ``data:``, scheme-relative, spaces or control characters a browser would strip)
    is refused, so a stored link can never run script when clicked."""
    url = clean_text(value, "url", URL_MAX)
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch in _URL_FORBIDDEN for ch in url):
        raise Invalid("A link may not contain spaces, quotes, angle brackets or backslashes.", field="url")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
        raise Invalid("A link starts with http:// or https:// and names a site.", field="url")
    return url


def _clean(title: Any, url: Any, body: Any) -> dict:
    """The row's fields from a chair's input: a title, and exactly one of a link or a note."""
    title = clean_text(title, "title", TITLE_MAX)
    has_url = isinstance(url, str) and bool(url.strip())
    has_body = isinstance(body, str) and bool(body.strip())
    if has_url and has_body:
        raise Invalid("Give a link or write a note, not both.", field="url")
    if not has_url and not has_body:
        raise Invalid("Give a link or write a note.", field="url")
    if has_url:
        return {"title": title, "kind": "link", "url": clean_url(url), "body": "", "body_html": ""}
    text, html = clean_markdown(body, "body", NOTE_MAX)
    return {"title": title, "kind": "note", "url": "", "body": text, "body_html": html}


# --- writing ---------------------------------------------------------------------------------


def add_document(
    actor: Any, council: Council, title: Any, *, url: Any = "", body: Any = ""
) -> CouncilDocument:
    """A chair shares a link or a note with the council; every check runs before the
    row is added, so refused input writes nothing."""
    require_chair(actor, council)
    fields = _clean(title, url, body)
    now = utcnow()
    document = CouncilDocument(
        council_id=council.id, created_by_id=actor.id, created_at=now, updated_at=now, **fields
    )
    db.session.add(document)
    db.session.flush()
    fire("search_document_changed", document=search_document(document))
    return document


def edit_document(
    actor: Any, council: Council, document: CouncilDocument, title: Any, *, url: Any = "", body: Any = ""
) -> CouncilDocument:
    """A chair rewrites a document (it may turn from a link into a note and back)."""
    require_chair(actor, council)
    if document.council_id != council.id:
        raise NotFound()
    fields = _clean(title, url, body)
    for name, value in fields.items():
        setattr(document, name, value)
    document.updated_at = utcnow()
    db.session.flush()
    fire("search_document_changed", document=search_document(document))
    return document


def remove_document(actor: Any, council: Council, document: CouncilDocument) -> None:
    """A chair removes a document: the row goes, and its search entry after commit."""
    require_chair(actor, council)
    if document.council_id != council.id:
        raise NotFound()
    ident = document.id
    db.session.delete(document)
    db.session.flush()
    fire("search_document_removed", kind=SEARCH_KIND, ident=ident)


# --- search ----------------------------------------------------------------------------------


def search_document(document: CouncilDocument) -> dict:
    """The search entry: readable only with ``council:<id>`` (no staff or admin principal,
    as the ``search_principals`` hook promises)."""
    return {
        "kind": SEARCH_KIND,
        "id": document.id,
        "title": document.title,
        "body": document.body if document.kind == "note" else document.url,
        "url": f"/councils/{document.council_id}/documents/{document.id}",
        "principals": [f"council:{document.council_id}"],
        "created_at": document.created_at,
        "updated_at": document.updated_at,
    }


def search_documents(since: datetime | None) -> list[dict]:
    """Every document (changed after ``since``) for a rebuild of the index."""
    query = sa.select(CouncilDocument).order_by(CouncilDocument.id)
    if since is not None:
        query = query.where(CouncilDocument.updated_at > since)
    return [search_document(document) for document in db.session.scalars(query)]
