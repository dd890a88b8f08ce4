"""Free text in the directory: which members or organizations match ``q``.

The search index answers first (kinds ``member`` / ``organization``, with the reader's
principals, so it never returns a document the reader may not read); its ids are then
intersected with the filtered listing. Custom fields marked *searchable* are matched
here in SQL-loaded values, because only fields visible to everyone go into the public
search document. When the index is unavailable or knows no match (an empty index on a
fresh install), a plain scan over the same public facts takes over, so the directory
keeps working without it.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.accounts.models import Organization, User
from app.accounts.places import country_name
from app.directory import fields as fields_service
from app.directory.facets import listed_people
from app.directory.models import ProfileFieldValue
from app.directory.profiles import directory_facts, profiles_by_user
from app.extensions import db
from app.search import services as search_service
from app.search.querying import parse_user_query

log = logging.getLogger("guildhall.directory")
SEARCH_PAGE_SIZE = 50
SEARCH_PAGES = 40  # at most 2,000 index hits feed one directory query


def words_of(q: str) -> list[str]:
    parsed = parse_user_query(q)
    return [*parsed.words, *(word for phrase in parsed.phrases for word in phrase)]


def _matches(words: list[str], haystack: str) -> bool:
    text = haystack.casefold()
    return all(word.casefold() in text for word in words)


def matching_ids(reader: Any, q: str, show: str) -> set[int] | None:
    """Ids matching ``q`` (``None`` when ``q`` holds no searchable word: no restriction)."""
    parsed = parse_user_query(q)
    if parsed.empty:
        return None
    kind = "member" if show == "people" else "organization"
    ids = _index_ids(reader, q, kind)
    words = words_of(q)
    if not ids:
        ids = _scan_people(reader, words) if show == "people" else _scan_orgs(words)
    if show == "people":
        ids |= _custom_field_ids(reader, words)
    return ids


def _index_ids(reader: Any, q: str, kind: str) -> set[int]:
    ids: set[int] = set()
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            # The PostgreSQL backend queries through this session: a failure inside
            # a savepoint leaves the request's transaction usable.
            with db.session.begin_nested():
                _collect_hits(reader, q, kind, ids)
        else:
            _collect_hits(reader, q, kind, ids)
    except Exception:  # the directory must work without its index
        log.warning("directory free text: search index unavailable, scanning instead", exc_info=True)
        return set()
    return ids


def _collect_hits(reader: Any, q: str, kind: str, ids: set[int]) -> None:
    for page in range(1, min(SEARCH_PAGES, search_service.MAX_PAGE) + 1):
        result = search_service.search(reader, q, kinds=[kind], page=page, per_page=SEARCH_PAGE_SIZE)
        ids.update(int(hit.id) for hit in result.hits if hit.kind == kind and hit.id.isdigit())
        if not result.has_next:
            return


def _scan_people(reader: Any, words: list[str]) -> set[int]:
    users = db.session.scalars(
        sa.select(User).where(User.id.in_(listed_people())).options(selectinload(User.organization))
    ).all()
    profiles = profiles_by_user([user.id for user in users])
    found: set[int] = set()
    for user in users:
        facts = directory_facts(user, profiles.get(user.id), {}, [], reader)
        parts = [
            user.display_name,
            user.username,
            facts.job_title,
            facts.region,
            facts.country,
            country_name(facts.country),
            *facts.languages,
            *facts.specialisms,
            *facts.certifications,
            *facts.industries,
            user.organization.name if user.organization else "",
        ]
        if _matches(words, "\n".join(parts)):
            found.add(user.id)
    return found


def _scan_orgs(words: list[str]) -> set[int]:
    found: set[int] = set()
    for org in db.session.scalars(sa.select(Organization)):
        parts = [
            org.name,
            org.partner_type_label,
            org.tier,
            *(org.regions or []),
            *(org.specialisms or []),
            *(org.industries or []),
            org.description,
        ]
        if _matches(words, "\n".join(parts)):
            found.add(org.id)
    return found


def _custom_field_ids(reader: Any, words: list[str]) -> set[int]:
    """Members whose name plus searchable custom values (the ones ``reader`` may see and
    the member did not hide) hold every word."""
    audience = fields_service.audience_of(reader)
    searchable = {
        custom.id: custom
        for custom in fields_service.list_fields()
        if custom.searchable and custom.visibility in audience
    }
    if not searchable:
        return set()
    rows = db.session.execute(
        sa.select(ProfileFieldValue.user_id, ProfileFieldValue.field_id, ProfileFieldValue.value)
        .where(
            ProfileFieldValue.field_id.in_(list(searchable)),
            ProfileFieldValue.hidden.is_(False),
            ProfileFieldValue.user_id.in_(listed_people()),
        )
        .order_by(ProfileFieldValue.user_id)
    ).all()
    texts: dict[int, list[str]] = {}
    for user_id, field_id, value in rows:
        texts.setdefault(user_id, []).extend(fields_service.current_items(searchable[field_id], value))
    if not texts:
        return set()
    names = dict(
        db.session.execute(
            sa.select(User.id, User.display_name + " " + User.username).where(User.id.in_(list(texts)))
        ).all()
    )
    return {
        user_id
        for user_id, items in texts.items()
        if _matches(words, "\n".join([names.get(user_id, ""), *items]))
    }
