"""CSV export of the directory's current people result, for admins.

The export holds exactly what the listing would show the admin across all pages:
the same filters and order, hidden members and hidden fields left out. Cells a
spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage
return) get a leading apostrophe (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from app.accounts.places import country_name
from app.core.permissions import require
from app.directory.listing import PersonCard, all_people, visible_fields
from app.directory.listing_query import DirectoryQuery

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BASE_COLUMNS = (
    "name",
    "username",
    "organization",
    "partner type",
    "tier",
    "region",
    "country",
    "languages",
    "specialisms",
    "certifications",
)


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _row(card: PersonCard, keys: list[str]) -> list[str]:
    user, facts = card.user, card.facts
    org = user.organization
    values = [
        user.display_name,
        user.username,
        org.name if org else "",
        org.partner_type_label if org else "",
        org.tier if org else "",
        facts.region,
        country_name(facts.country),
        "; ".join(facts.languages),
        "; ".join(facts.specialisms),
        "; ".join(facts.certifications),
    ]
    custom = {value.key: "; ".join(value.items) for value in card.facts.custom}
    values.extend(custom.get(key, "") for key in keys)
    return [safe_cell(value) for value in values]


def export_rows(actor: Any, query: DirectoryQuery) -> Iterator[list[str]]:
    """The header row, then one row per member the query matches."""
    require(actor, "directory.export")
    fields = visible_fields(actor)
    yield [safe_cell(name) for name in (*BASE_COLUMNS, *(field.label for field in fields))]
    keys = [field.key for field in fields]
    for card in all_people(actor, query):
        yield _row(card, keys)


def export_csv(actor: Any, query: DirectoryQuery) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in export_rows(actor, query):
        writer.writerow(row)
    return buffer.getvalue()
