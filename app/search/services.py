"""``search(actor, query, …)``: the one entry point for the page, the JSON endpoint,
the API and other features (the Q&A ask form's similar questions).

Permission filtering happens inside the backend query, by the actor's principals, so
hits, totals, facets and snippets are computed only over documents the actor may read.
Facet labels are resolved here from the database, and only for categories the actor
can see.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.accounts.models import Organization, User
from app.core.errors import Invalid
from app.core.params import parse_int
from app.extensions import db
from app.forums.categories import visible_categories
from app.plugins import plugin_manager
from app.search.backend import get_backend
from app.search.documents import KIND_RE
from app.search.principals import actor_principals
from app.search.querying import Filters, SearchResult, as_datetime, parse_user_query

log = logging.getLogger("guildhall.search")
ORDERS = ("relevance", "date")
MAX_PAGE = 50
MAX_PER_PAGE = 50
KIND_LABELS = {
    "topic": "Topics",
    "question": "Questions",
    "post": "Posts",
    "answer": "Answers",
    "member": "Members",
    "organization": "Organizations",
}


def kind_labels() -> dict[str, str]:
    """The kinds the search page may filter by: the core ones, plus those an enabled
    plug-in declares through ``search_kinds`` (an "Events" filter only with events)."""
    labels = dict(KIND_LABELS)
    for contributed in plugin_manager().hook.search_kinds():
        labels.update(contributed or {})
    return labels


def _int(value: Any, name: str) -> int | None:
    try:
        return parse_int(value, name=name, minimum=1, maximum=2**62 - 1)
    except Invalid:
        raise Invalid(f"The {name} filter must be a positive whole number.", field=name) from None


def _printable(text: str) -> str:
    """Without control characters: PostgreSQL refuses NUL in text parameters."""
    return "".join(ch for ch in text if ch >= " " and ch != "\x7f")


def clean_filters(kinds: list[str] | None, filters: dict | None) -> Filters:
    """Validate filter values (they come straight from a query string)."""
    filters = dict(filters or {})
    cleaned = Filters()
    for kind in kinds or []:
        kind = str(kind).strip().lower()
        if kind and KIND_RE.match(kind) and kind not in cleaned.kinds:
            cleaned.kinds.append(kind)
    cleaned.kinds = cleaned.kinds[:10]
    cleaned.category_id = _int(filters.get("category"), "category")
    cleaned.organization_id = _int(filters.get("organization"), "organization")
    author = filters.get("author")
    if isinstance(author, User):
        cleaned.author_id = author.id
    elif isinstance(author, int) or (isinstance(author, str) and author.isascii() and author.isdigit()):
        cleaned.author_id = _int(author, "author")
    elif isinstance(author, str) and _printable(author).strip():
        name = _printable(author).strip().lstrip("@")[:40]
        user_id = db.session.scalar(sa.select(User.id).where(User.username == name))
        cleaned.author_id = user_id if user_id is not None else -1
    tag = filters.get("tag")
    if tag:
        cleaned.tag = _printable(str(tag)).strip().lower()[:50] or None
    for name in ("date_from", "date_to"):
        raw = filters.get(name)
        value = as_datetime(raw) if isinstance(raw, (str, date, datetime)) or raw is None else None
        if raw not in (None, "") and value is None:
            raise Invalid("Dates look like 2024-05-31.", field=name)
        setattr(cleaned, name, value)
    if (
        cleaned.date_to is not None
        and isinstance(filters.get("date_to"), (str, date))
        and not isinstance(filters.get("date_to"), datetime)
    ):
        cleaned.date_to += timedelta(days=1)  # a date means "to the end of that day"
    return cleaned


def search(
    actor: Any,
    query: str | None,
    kinds: list[str] | None = None,
    filters: dict | None = None,
    page: int = 1,
    per_page: int = 20,
    order: str = "relevance",
    match: str = "all",
) -> SearchResult:
    """Search everything ``actor`` may read.

    Returns ``SearchResult(hits, total, facets, page, per_page)``; each hit has
    ``kind``, ``id`` (``12`` for ``topic:12``), ``title``, ``url``, ``snippet`` (safe
    HTML). An empty query without filters returns nothing. ``match="any"`` ORs the
    words and ranks by relevance: what the Q&A ask form wants for similar questions
    (``search(actor, title, kinds=["question"], match="any", per_page=5)``).
    """
    parsed = parse_user_query(query)
    parsed.match_any = match == "any"
    cleaned = clean_filters(kinds, filters)
    order = order if order in ORDERS else "relevance"
    page = min(max(int(page or 1), 1), MAX_PAGE)
    per_page = min(max(int(per_page or 20), 1), MAX_PER_PAGE)
    text = parsed.as_text()
    browsing = any(
        (cleaned.kinds, cleaned.category_id, cleaned.organization_id, cleaned.author_id, cleaned.tag)
    )
    if parsed.empty and not (query or "").strip() and not browsing:
        return SearchResult(hits=[], total=0, facets={}, page=page, per_page=per_page, query="")
    if parsed.empty and not browsing:
        return SearchResult(hits=[], total=0, facets={}, page=page, per_page=per_page, query=text)
    if cleaned.author_id == -1:
        return SearchResult(hits=[], total=0, facets={}, page=page, per_page=per_page, query=text)
    categories = visible_categories(actor)
    principals = actor_principals(actor, category_ids={c.id for c in categories})
    result = get_backend().search(parsed, principals, cleaned, page, per_page, order)
    result.query = text
    result.facets = _label_facets(categories, result.facets, result.labels)
    return result


def _label_facets(
    visible: list[Any],
    facets: dict[str, dict[str, int]],
    known: dict[str, dict[str, str | None]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Facet values as ``{value: {"label", "count"}}``; categories not in ``visible``
    (the actor's visible categories) are dropped. ``known``: organization names the
    backend already read (the PostgreSQL backend does, in its one statement); only the
    others are looked up."""
    labelled: dict[str, dict[str, Any]] = {}
    kinds = facets.get("kind") or {}
    labelled["kind"] = {
        k: {"label": KIND_LABELS.get(k, k.replace("_", " ").title()), "count": n} for k, n in kinds.items()
    }
    categories = {str(c.id): c.name for c in visible}
    labelled["category"] = {
        k: {"label": categories[k], "count": n}
        for k, n in (facets.get("category") or {}).items()
        if k in categories
    }
    read = (known or {}).get("organization", {})
    names = {int(k): v for k, v in read.items() if k.isdigit() and v is not None}
    org_ids = [int(k) for k in (facets.get("organization") or {}) if k.isdigit() and k not in read]
    if org_ids:
        names.update(
            db.session.execute(
                sa.select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
            ).all()
        )
    labelled["organization"] = {
        k: {"label": names[int(k)], "count": n}
        for k, n in (facets.get("organization") or {}).items()
        if k.isdigit() and int(k) in names
    }
    labelled["tag"] = {k: {"label": k, "count": n} for k, n in (facets.get("tag") or {}).items()}
    for name in labelled:
        labelled[name] = dict(
            sorted(labelled[name].items(), key=lambda item: (-item[1]["count"], item[1]["label"]))
        )
    return labelled
