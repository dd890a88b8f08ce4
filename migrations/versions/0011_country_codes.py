"""Countries typed before the profile's country list become ISO 3166-1 alpha-2 codes

Revision ID: 0011_country_codes
Revises: 0010_jobs
Create Date: 2026-12-07 04:40:00

Why: the profile form now stores the code and shows the name, but members who typed
"United Kingdom" or "ireland" before the list existed kept their text, so the
directory's country filter listed the same place twice (a code and a name). Values
that name a country exactly (any case) become its code; anything else is left as typed.
The directory's derived facet rows are rewritten the same way. Downgrade keeps the
codes: they are valid country values for the older code too.
"""

import pycountry
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_country_codes"
down_revision = "0010_jobs"
branch_labels = None
depends_on = None


def _codes() -> dict[str, str]:
    """Every exact name (casefolded) and code (upper) of a country → its alpha-2 code."""
    found: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            name = getattr(country, attribute, None)
            if name:
                found[name.casefold()] = country.alpha_2
        found[country.alpha_2.casefold()] = country.alpha_2
    return found


def upgrade():
    codes = _codes()
    bind = op.get_bind()
    users = sa.table("user_account", sa.column("id", sa.Integer), sa.column("country", sa.String))
    facets = sa.table(
        "directory_facet",
        sa.column("id", sa.Integer),
        sa.column("facet", sa.String),
        sa.column("value", sa.String),
    )
    for row in bind.execute(sa.select(users.c.id, users.c.country).where(users.c.country != "")):
        code = codes.get((row.country or "").strip().casefold())
        if code and code != row.country:
            bind.execute(users.update().where(users.c.id == row.id).values(country=code))
    for row in bind.execute(sa.select(facets.c.id, facets.c.value).where(facets.c.facet == "country")):
        code = codes.get((row.value or "").strip().casefold())
        if code and code != row.value:
            bind.execute(facets.update().where(facets.c.id == row.id).values(value=code))


def downgrade():
    pass
