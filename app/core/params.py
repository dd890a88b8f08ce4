"""Whole numbers from outside: query strings, form fields, JSON bodies, socket events.

``int()`` and ``str.isdigit()`` are the wrong gate for text a client sent. ``isdigit``
accepts superscripts such as ``²`` that ``int`` then refuses with a ``ValueError``;
``int`` itself accepts Arabic-Indic and other Unicode digits, surrounding whitespace
and underscores, and builds numbers far past what a database column or an OFFSET can
hold (SQLite raises ``OverflowError``). Each of those reached a 500 somewhere. So
every number a client sends goes through :func:`parse_int`: ASCII digits with an
optional minus sign, nothing else, within bounds, or an ``Invalid`` error that names
the field.

Page numbers follow one rule everywhere (:func:`page_number`): anything that is not a
page from 1 to the list's last allowed page reads as the first page. Most lists
already behaved so; a pager link that was edited by hand or went stale then still
shows a list instead of an error page, and a JSON client sees which page it got in
the answer's ``page``.
"""

from __future__ import annotations

import re
from typing import Any

from wtforms import IntegerField

from app.core.errors import Invalid

# The largest id or cursor accepted: what a signed 64-bit column (PostgreSQL BIGINT,
# SQLite INTEGER) holds. Larger numbers cannot name a row.
MAX_ID = 2**63 - 1
# The deepest page any list serves unless it names its own limit: OFFSET past this
# reads and discards rows nobody pages to by hand.
MAX_PAGE = 10_000

# fullmatch, not match with ``$``: ``$`` also matches before a trailing newline.
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,19}")


def parse_int(
    value: Any,
    *,
    name: str = "value",
    default: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    """``value`` as an int, or ``default`` when it is absent (``None`` or ``""``).

    Accepts an ``int`` (not a ``bool``: JSON ``true`` is not a number) or a string of
    ASCII digits with an optional leading ``-``; no spaces, signs, underscores,
    exponents or other scripts' digits. Raises ``Invalid`` (field ``name``) for anything
    else, or for a number outside ``minimum``..``maximum``.
    """
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise Invalid(f"“{name}” must be a whole number.", field=name)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and _WHOLE_NUMBER.fullmatch(value):
        number = int(value)
    elif isinstance(value, str) and value.isascii() and re.fullmatch(r"-?[0-9]+", value):
        raise Invalid(_range_message(name, minimum, maximum), field=name)  # too many digits
    else:
        raise Invalid(f"“{name}” must be a whole number.", field=name)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise Invalid(_range_message(name, minimum, maximum), field=name)
    return number


def _range_message(name: str, minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"“{name}” must be a whole number between {minimum:,} and {maximum:,}."
    if minimum is not None:
        return f"“{name}” must be a whole number of at least {minimum:,}."
    if maximum is not None:
        return f"“{name}” must be a whole number of at most {maximum:,}."
    return f"“{name}” must be a whole number."


def parse_id(value: Any, *, name: str = "id") -> int | None:
    """A row id or cursor from outside (``None`` when absent): 0 to :data:`MAX_ID`."""
    return parse_int(value, name=name, minimum=0, maximum=MAX_ID)


def page_number(value: Any, *, maximum: int = MAX_PAGE) -> int:
    """The page a client asked for: 1 to ``maximum``, and 1 for anything else.

    Never raises: see the module docstring for why a bad page reads as the first.
    """
    try:
        page = parse_int(value, name="page", default=1, minimum=1, maximum=maximum)
    except Invalid:
        return 1
    return page if page is not None else 1


class WholeNumberField(IntegerField):
    """WTForms' ``IntegerField`` read with :func:`parse_int` instead of ``int()``.

    ``IntegerField`` takes ``١`` as 1 and a forty-digit number as it is, which then
    overflows the query it reaches; this one refuses both as a form error.
    """

    def __init__(
        self,
        label: str | None = None,
        validators: Any = None,
        *,
        minimum: int = -MAX_ID,
        maximum: int = MAX_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        try:
            self.data = parse_int(
                valuelist[0], name=str(self.label.text), minimum=self.minimum, maximum=self.maximum
            )
        except Invalid as error:
            self.data = None
            raise ValueError(error.message) from error
