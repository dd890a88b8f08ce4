"""The directory listing: filter, count facets, sort and page people or organizations.

Filters and counts run in SQL over ``DirectoryFacet`` rows (see ``facets``), each
limited to the visibility levels the reader may see. A facet's counts apply every
*other* active filter but not its own, so the numbers beside a filter say how many
results choosing that value would add (OR within a filter, AND across filters).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.accounts.models import Organization, User
from app.core.errors import Invalid
from app.core.pagination import CountedPage
from app.directory import fields as fields_service
from app.directory.facets import ORG_FACETS, PEOPLE_FACETS, listed_people
from app.directory.listing_query import (
    FACET_LABELS,
    DirectoryQuery,
    custom_filters,
    value_label,
)
from app.directory.models import DirectoryFacet, ProfileField
from app.directory.profiles import PersonFacts, directory_facts, profiles_by_user
from app.directory.textsearch import matching_ids
from app.extensions import db
from app.forums.models import Post, Topic
from app.forums.reading import readable_posts_where
from app.qa.models import QAReputationEvent
from app.qa.reputation import reputations

FACET_VALUES_SHOWN = 25


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class FacetGroup:
    name: str
    label: str
    values: list[FacetValue] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any(value.selected for value in self.values)


@dataclass
class PersonCard:
    user: User
    facts: PersonFacts
    reputation: int = 0


@dataclass
class OrgCard:
    org: Organization
    members: int = 0


@dataclass
class DirectoryPage(CountedPage):
    query: DirectoryQuery
    items: list[Any]
    total: int
    facets: list[FacetGroup]
    fields: list[ProfileField] = field(default_factory=list)

    @property
    def page(self) -> int:  # type: ignore[override]
        return self.query.page

    @property
    def per_page(self) -> int:  # type: ignore[override]
        return self.query.per_page


# --- the filtered id set --------------------------------------------------------------------


def _subject(query: DirectoryQuery) -> tuple[str, Any, sa.Select]:
    if query.show == "people":
        return "user", User.id, listed_people()
    return "org", Organization.id, sa.select(Organization.id)


def _filtered(
    query: DirectoryQuery, audience: tuple[str, ...], text_ids: set[int] | None, skip: str | None = None
) -> sa.Select:
    subject_type, column, select = _subject(query)
    for name, values in query.filters.items():
        if name == skip:
            continue
        select = select.where(
            column.in_(
                sa.select(DirectoryFacet.subject_id).where(
                    DirectoryFacet.subject_type == subject_type,
                    DirectoryFacet.facet == name,
                    DirectoryFacet.value.in_(values),
                    DirectoryFacet.visibility.in_(audience),
                )
            )
        )
    if text_ids is not None:
        select = select.where(column.in_(sorted(text_ids)))
    return select


def _count_values(subject_type: str, names: list[str], ids: sa.Select, audience: tuple[str, ...]) -> dict:
    counts: dict[str, dict[str, int]] = {name: {} for name in names}
    if not names:
        return counts
    rows = db.session.execute(
        sa.select(
            DirectoryFacet.facet, DirectoryFacet.value, sa.func.count(sa.distinct(DirectoryFacet.subject_id))
        )
        .where(
            DirectoryFacet.subject_type == subject_type,
            DirectoryFacet.facet.in_(names),
            DirectoryFacet.visibility.in_(audience),
            DirectoryFacet.subject_id.in_(ids),
        )
        .group_by(DirectoryFacet.facet, DirectoryFacet.value)
    )
    for facet, value, count in rows:
        counts[facet][value] = int(count)
    return counts


def _facets(
    query: DirectoryQuery,
    audience: tuple[str, ...],
    text_ids: set[int] | None,
    custom: dict[str, ProfileField],
) -> list[FacetGroup]:
    subject_type = query.subject_type
    names = [*PEOPLE_FACETS, *custom] if query.show == "people" else list(ORG_FACETS)
    idle = [name for name in names if name not in query.filters]
    counts = _count_values(subject_type, idle, _filtered(query, audience, text_ids), audience)
    for name in query.filters:
        own = _count_values(subject_type, [name], _filtered(query, audience, text_ids, skip=name), audience)
        counts[name] = own[name]
    groups: list[FacetGroup] = []
    for name in names:
        selected = query.filters.get(name, [])
        label = custom[name].label if name in custom else FACET_LABELS[name]
        values = [
            FacetValue(value, value_label(name, value), count, value in selected)
            for value, count in counts.get(name, {}).items()
        ]
        values.sort(key=lambda item: (-item.count, item.label.casefold()))
        shown = values[:FACET_VALUES_SHOWN] + [v for v in values[FACET_VALUES_SHOWN:] if v.selected]
        present = {value.value for value in shown}
        shown += [FacetValue(v, value_label(name, v), 0, True) for v in selected if v not in present]
        if shown:
            groups.append(FacetGroup(name, label, shown))
    return groups


# --- sorting -------------------------------------------------------------------------------------


def _reputation_table() -> Any:
    return (
        sa.select(
            QAReputationEvent.user_id.label("user_id"), sa.func.sum(QAReputationEvent.points).label("points")
        )
        .group_by(QAReputationEvent.user_id)
        .subquery()
    )


def _activity(reader: Any) -> tuple[Any, Any]:
    """(subquery of each author's latest post the reader may see, activity expression):
    the later of that post and the member's last sign-in."""
    latest = (
        sa.select(Post.author_id.label("user_id"), sa.func.max(Post.created_at).label("at"))
        .join(Topic, Topic.id == Post.topic_id)
        .where(*readable_posts_where(reader))
        .group_by(Post.author_id)
        .subquery()
    )
    expression = sa.case(
        (latest.c.at.is_(None), User.last_seen_at),
        (User.last_seen_at.is_(None), latest.c.at),
        (latest.c.at > User.last_seen_at, latest.c.at),
        else_=User.last_seen_at,
    )
    return latest, expression


def _people_statement(reader: Any, query: DirectoryQuery, ids: sa.Select, entity: Any = User) -> sa.Select:
    statement = sa.select(entity).select_from(User).where(User.id.in_(ids))
    name = (sa.func.lower(User.display_name), User.id)
    if query.sort == "reputation":
        reputation = _reputation_table()
        statement = statement.outerjoin(reputation, reputation.c.user_id == User.id)
        return statement.order_by(sa.func.coalesce(reputation.c.points, 0).desc(), *name)
    if query.sort == "activity":
        latest, activity = _activity(reader)
        statement = statement.outerjoin(latest, latest.c.user_id == User.id)
        return statement.order_by(sa.case((activity.is_(None), 1), else_=0), activity.desc(), *name)
    return statement.order_by(*name)


def _org_statement(reader: Any, query: DirectoryQuery, ids: sa.Select) -> sa.Select:
    statement = sa.select(Organization).where(Organization.id.in_(ids))
    name = (sa.func.lower(Organization.name), Organization.id)
    members = sa.select(User).where(User.id.in_(listed_people()), User.organization_id.is_not(None))
    if query.sort == "reputation":
        reputation = _reputation_table()
        totals = (
            sa.select(User.organization_id.label("org_id"), sa.func.sum(reputation.c.points).label("points"))
            .join(reputation, reputation.c.user_id == User.id)
            .where(User.id.in_(members.with_only_columns(User.id)))
            .group_by(User.organization_id)
            .subquery()
        )
        statement = statement.outerjoin(totals, totals.c.org_id == Organization.id)
        return statement.order_by(sa.func.coalesce(totals.c.points, 0).desc(), *name)
    if query.sort == "activity":
        latest, activity = _activity(reader)
        totals = (
            sa.select(User.organization_id.label("org_id"), sa.func.max(activity).label("at"))
            .select_from(User)
            .outerjoin(latest, latest.c.user_id == User.id)
            .where(User.id.in_(members.with_only_columns(User.id)))
            .group_by(User.organization_id)
            .subquery()
        )
        statement = statement.outerjoin(totals, totals.c.org_id == Organization.id)
        return statement.order_by(sa.case((totals.c.at.is_(None), 1), else_=0), totals.c.at.desc(), *name)
    return statement.order_by(*name)


# --- cards ------------------------------------------------------------------------------------------


def person_cards(reader: Any, users: list[User], fields: list[ProfileField]) -> list[PersonCard]:
    ids = [user.id for user in users]
    profiles = profiles_by_user(ids)
    values = fields_service.values_by_user(ids)
    points = reputations(ids)
    return [
        PersonCard(
            user,
            directory_facts(user, profiles.get(user.id), values.get(user.id, {}), fields, reader),
            points[user.id],
        )
        for user in users
    ]


def org_cards(orgs: list[Organization]) -> list[OrgCard]:
    ids = [org.id for org in orgs]
    counts = dict(
        db.session.execute(
            sa.select(User.organization_id, sa.func.count(User.id))
            .where(User.organization_id.in_(ids or [-1]), User.id.in_(listed_people()))
            .group_by(User.organization_id)
        ).all()
    )
    return [OrgCard(org, int(counts.get(org.id, 0))) for org in orgs]


# --- entry points ----------------------------------------------------------------------------------


def browse(reader: Any, query: DirectoryQuery) -> DirectoryPage:
    """One page of the directory for ``reader``, with facet counts.

    Raises ``Invalid`` for a page past the last one.
    """
    audience = fields_service.audience_of(reader)
    custom = custom_filters(reader) if query.show == "people" else {}
    text_ids = matching_ids(reader, query.q, query.show) if query.q else None
    ids = _filtered(query, audience, text_ids)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(ids.subquery())) or 0
    page = DirectoryPage(query=query, items=[], total=int(total), facets=[])
    if query.page > page.pages:
        raise Invalid(f"There is no page {query.page}: the last page is {page.pages}.", field="page")
    offset = (query.page - 1) * query.per_page
    if query.show == "people":
        fields = visible_fields(reader)
        statement = _people_statement(reader, query, ids).limit(query.per_page).offset(offset)
        statement = statement.options(selectinload(User.organization))
        page.items = person_cards(reader, list(db.session.scalars(statement)), fields)
        page.fields = fields
    else:
        statement = _org_statement(reader, query, ids).limit(query.per_page).offset(offset)
        page.items = org_cards(list(db.session.scalars(statement)))
    page.facets = _facets(query, audience, text_ids, custom)
    return page


def all_people(reader: Any, query: DirectoryQuery, batch: int = 200) -> Iterator[PersonCard]:
    """Every member the query matches, in its sort order, ignoring paging (CSV export)."""
    audience = fields_service.audience_of(reader)
    text_ids = matching_ids(reader, query.q, "people") if query.q else None
    ids = _filtered(query, audience, text_ids)
    fields = visible_fields(reader)
    user_ids = list(db.session.scalars(_people_statement(reader, query, ids, User.id)))
    for start in range(0, len(user_ids), batch):
        chunk = user_ids[start : start + batch]
        users = {
            user.id: user
            for user in db.session.scalars(
                sa.select(User).where(User.id.in_(chunk)).options(selectinload(User.organization))
            )
        }
        yield from person_cards(reader, [users[i] for i in chunk if i in users], fields)


def visible_fields(reader: Any) -> list[ProfileField]:
    """Custom fields shown in the directory to ``reader``, in admin order."""
    audience = fields_service.audience_of(reader)
    return [f for f in fields_service.list_fields() if f.in_directory and f.visibility in audience]
