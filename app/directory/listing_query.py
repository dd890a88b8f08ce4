"""The directory's query string: parsing it strictly, and writing it back canonically.

Every bit of directory state lives in the URL, so a filtered page can be shared.
Repeating a parameter ORs its values (``?region=EMEA&region=APAC``); different
parameters AND together. Anything unknown (a parameter, a closed-list value, a sort,
a page past the end) is refused with a message rather than ignored, so a mistyped or
tampered link says what is wrong instead of silently showing everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

from app.accounts.models import PARTNER_TYPE_LABELS, TIERS
from app.accounts.places import country_name
from app.core.errors import Invalid
from app.core.params import page_number, parse_int
from app.directory import fields as fields_service
from app.directory.facets import (
    CUSTOM_PREFIX,
    LISTED_ROLES,
    ORG_FACETS,
    PEOPLE_FACETS,
    VALUE_MAX,
    is_faceted,
    listed_people,
)
from app.directory.models import DirectoryFacet, ProfileField
from app.extensions import db

SHOWS = ("people", "orgs")
SORTS = ("name", "activity", "reputation")
SORT_LABELS = {"name": "Name", "activity": "Recent activity", "reputation": "Reputation"}
PER_PAGE = 20
PER_PAGE_MAX = 100
PAGE_MAX = 10_000
QUERY_MAX = 256
MAX_VALUES = 20
RESERVED = ("show", "q", "sort", "page", "per_page")
FACET_LABELS = {
    "partner_type": "Partner type",
    "tier": "Tier",
    "region": "Region",
    "country": "Country",
    "language": "Language",
    "specialism": "Specialism",
    "industry": "Industry",
    "certification": "Certification",
    "role": "Role",
}
CLOSED_VALUES: dict[str, tuple[str, ...]] = {
    "partner_type": tuple(PARTNER_TYPE_LABELS),
    "tier": TIERS,
    "role": LISTED_ROLES,
}


@dataclass
class DirectoryQuery:
    show: str = "people"
    q: str = ""
    sort: str = "name"
    page: int = 1
    per_page: int = PER_PAGE
    filters: dict[str, list[str]] = field(default_factory=dict)

    @property
    def subject_type(self) -> str:
        return "user" if self.show == "people" else "org"

    def params(self, **changes: Any) -> list[tuple[str, str]]:
        """Canonical query-string pairs (defaults left out); ``changes`` override fields,
        ``filters`` included, and ``page`` falls back to 1 whenever anything else changes."""
        show = changes.get("show", self.show)
        filters = changes.get("filters", self.filters)
        pairs: list[tuple[str, str]] = []
        if show != "people":
            pairs.append(("show", show))
        q = changes.get("q", self.q)
        if q:
            pairs.append(("q", q))
        for name, values in filters.items():
            pairs.extend((name, value) for value in values)
        sort = changes.get("sort", self.sort)
        if sort != "name":
            pairs.append(("sort", sort))
        per_page = changes.get("per_page", self.per_page)
        if per_page != PER_PAGE:
            pairs.append(("per_page", str(per_page)))
        others = {key for key in changes if key != "page"}
        page = changes.get("page", 1 if others else self.page)
        if page != 1:
            pairs.append(("page", str(page)))
        return pairs

    def query_string(self, **changes: Any) -> str:
        pairs = self.params(**changes)
        return ("?" + urlencode(pairs)) if pairs else ""

    def toggled(self, name: str, value: str) -> str:
        """The query string with ``value`` of filter ``name`` switched on or off."""
        filters = {key: list(values) for key, values in self.filters.items()}
        current = filters.setdefault(name, [])
        if value in current:
            current.remove(value)
        else:
            current.append(value)
        return self.query_string(filters={key: values for key, values in filters.items() if values})

    def without(self, name: str) -> str:
        return self.query_string(filters={key: v for key, v in self.filters.items() if key != name})


def _getlist(args: Any, name: str) -> list[str]:
    if hasattr(args, "getlist"):
        return [str(value) for value in args.getlist(name)]
    value = args.get(name)
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, list | tuple) else [str(value)]


def _one(args: Any, name: str) -> str | None:
    values = [value for value in _getlist(args, name) if value.strip()]
    if len(values) > 1:
        raise Invalid(f"Give “{name}” only once.", field=name)
    return values[0].strip() if values else None


def printable(text: str) -> bool:
    return not any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in text)


def _number(raw: str | None, name: str, default: int, high: int) -> int:
    number = parse_int(raw, name=name, default=default, minimum=1, maximum=high)
    return default if number is None else number


def custom_filters(reader: Any) -> dict[str, ProfileField]:
    """The custom fields ``reader`` may filter people by, by parameter name."""
    audience = fields_service.audience_of(reader)
    return {
        f"{CUSTOM_PREFIX}{custom.key}": custom
        for custom in fields_service.list_fields()
        if is_faceted(custom) and custom.visibility in audience
    }


def filter_names(show: str, custom: Mapping[str, ProfileField]) -> list[str]:
    return [*PEOPLE_FACETS, *custom] if show == "people" else list(ORG_FACETS)


def parse_query(reader: Any, args: Any) -> DirectoryQuery:
    """A validated :class:`DirectoryQuery` from request args (a MultiDict or a dict of
    lists); raises ``Invalid`` with a message fit to show."""
    names = list(args.keys())
    show = _one(args, "show") or "people"
    if show not in SHOWS:
        raise Invalid("Show either people or orgs.", field="show")
    custom = custom_filters(reader) if show == "people" else {}
    known = filter_names(show, custom)
    for name in names:
        if name in RESERVED or name in known:
            continue
        shown = name if len(name) <= 40 and printable(name) else "that filter"
        if show == "orgs" and (name in PEOPLE_FACETS or name.startswith(CUSTOM_PREFIX)):
            raise Invalid(f"The filter “{shown}” applies to people, not organizations.", field=name)
        raise Invalid(f"Unknown filter “{shown}”.", field=name)
    query = DirectoryQuery(show=show)
    q = " ".join((_one(args, "q") or "").split())
    if len(q) > QUERY_MAX:
        raise Invalid(f"Search for at most {QUERY_MAX} characters.", field="q")
    query.q = "".join(ch for ch in q if printable(ch))
    query.sort = _one(args, "sort") or "name"
    if query.sort not in SORTS:
        raise Invalid(f"Sort by {', '.join(SORTS)}.", field="sort")
    _one(args, "page")  # given at most once; read unstripped, as every list reads it
    pages = [value for value in _getlist(args, "page") if value.strip()]
    query.page = page_number(pages[0] if pages else None, maximum=PAGE_MAX)
    query.per_page = _number(_one(args, "per_page"), "per_page", PER_PAGE, PER_PAGE_MAX)
    for name in known:
        values = list(dict.fromkeys(v.strip() for v in _getlist(args, name) if v.strip()))
        if not values:
            continue
        if len(values) > MAX_VALUES:
            raise Invalid(f"Choose at most {MAX_VALUES} values for one filter.", field=name)
        for value in values:
            if len(value) > VALUE_MAX or not printable(value):
                raise Invalid(f"That is not a value of the {_label(name, custom)} filter.", field=name)
        allowed = _closed_values(name, custom)
        if allowed is not None:
            wrong = [value for value in values if value not in allowed]
        else:
            wrong = _unknown_open_values(query.subject_type, name, values)
        if wrong:
            raise Invalid(f"Unknown {_label(name, custom).lower()} “{wrong[0][:60]}”.", field=name)
        query.filters[name] = values
    return query


def _label(name: str, custom: Mapping[str, ProfileField]) -> str:
    return custom[name].label if name in custom else FACET_LABELS.get(name, name)


def _closed_values(name: str, custom: Mapping[str, ProfileField]) -> tuple[str, ...] | None:
    if name in custom:
        return tuple(custom[name].choices or [])
    return CLOSED_VALUES.get(name)


def _unknown_open_values(subject_type: str, facet: str, values: list[str]) -> list[str]:
    """Open lists (regions, languages, …) know the values some listed member or some
    organization shows: built-in facet rows are all public, so asking reveals nothing."""
    query = (
        sa.select(DirectoryFacet.value)
        .where(
            DirectoryFacet.subject_type == subject_type,
            DirectoryFacet.facet == facet,
            DirectoryFacet.value.in_(values),
        )
        .distinct()
    )
    if subject_type == "user":
        query = query.where(DirectoryFacet.subject_id.in_(listed_people()))
    present = set(db.session.scalars(query))
    return [value for value in values if value not in present]


def value_label(name: str, value: str) -> str:
    if name == "partner_type":
        return PARTNER_TYPE_LABELS.get(value, value)
    if name in ("tier", "role"):
        return value.title()
    if name == "country":
        return country_name(value)
    return value
