"""Regions and countries members pick from lists, so the directory's filters see one
spelling per place. Countries are ISO 3166-1 (pycountry): the alpha-2 code is stored
and the name shown; a value saved before the lists existed is shown as typed.
"""

from __future__ import annotations

from functools import cache

import pycountry

# The partner programme's sales regions, as organizations and the directory use them.
REGIONS = ("EMEA", "North America", "LATAM", "APAC")


@cache
def country_choices() -> tuple[tuple[str, str], ...]:
    """(alpha-2 code, name) for every ISO 3166-1 country, by name."""
    pairs = (
        (country.alpha_2, getattr(country, "common_name", None) or country.name)
        for country in pycountry.countries
    )
    return tuple(sorted(pairs, key=lambda pair: pair[1]))


def country_name(value: str | None) -> str:
    """The country's name for a stored code; any other stored text as it is."""
    value = (value or "").strip()
    if len(value) == 2 and value.isascii():
        names = dict(country_choices())
        return names.get(value.upper(), value)
    return value


def country_code(value: str | None) -> str | None:
    """The alpha-2 code for a code or an exact name (any case), else None."""
    value = (value or "").strip()
    if not value:
        return ""
    for code, name in country_choices():
        if value.upper() == code or value.casefold() == name.casefold():
            return code
    return None
