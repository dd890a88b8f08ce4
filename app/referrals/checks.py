"""Checking what a member typed into a referral: texts, amounts, currency, expiry.

Pure functions that return clean values or raise ``Invalid`` naming the form field, so
the page can show the message beside the field and nothing is written.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from app.accounts.services import clean_list, no_nul
from app.core.db import utcnow
from app.core.errors import Invalid
from app.referrals.currencies import is_currency
from app.referrals.models import CONFIDENTIALITY_LEVELS

SUMMARY_MIN = 3
SUMMARY_MAX = 200
DETAILS_MAX = 10_000
CUSTOMER_NAME_MAX = 120
REGION_MAX = 80
INDUSTRY_MAX = 80
REASON_MAX = 500
NOTE_MAX = 1000
AMOUNT_MAX = Decimal("999999999999.99")  # what Numeric(14, 2) holds
AMOUNT_INPUT_MAX = 40
EXPIRY_DEFAULT_DAYS = 30
EXPIRY_MAX_DAYS = 365


def one_line(value: Any, max_length: int, label: str, field: str, *, required: bool = False) -> str:
    """A single-line text: whitespace collapsed, NUL dropped, length checked."""
    text = " ".join(no_nul(str(value) if value is not None else "").split())
    if required and not text:
        raise Invalid(f"Enter {label}.", field=field)
    if len(text) > max_length:
        raise Invalid(
            f"{label[0].upper()}{label[1:]} must be at most {max_length:,} characters.", field=field
        )
    return text


def multi_line(value: Any, max_length: int, label: str, field: str, *, required: bool = False) -> str:
    """A text that keeps its line breaks (Markdown, notes, reasons)."""
    text = no_nul(str(value) if value is not None else "").replace("\r\n", "\n").strip()
    if required and not text:
        raise Invalid(f"Enter {label}.", field=field)
    if len(text) > max_length:
        raise Invalid(
            f"{label[0].upper()}{label[1:]} must be at most {max_length:,} characters.", field=field
        )
    return text


def summary(value: Any) -> str:
    text = one_line(value, SUMMARY_MAX, "a summary", "summary", required=True)
    if len(text) < SUMMARY_MIN:
        raise Invalid(f"A summary needs at least {SUMMARY_MIN} characters.", field="summary")
    return text


def specialisms(value: Any) -> list[str]:
    try:
        return clean_list(value, "needed specialisms")
    except Invalid as error:
        raise Invalid(error.message, field="specialisms")


def amount(value: Any, field: str, label: str, *, required: bool = False) -> Decimal | None:
    """A money amount: more than zero, at most 999,999,999,999.99, two decimals at most.

    Accepts ``Decimal``, ``int`` or a string like ``25000`` / ``25000.50``; floats are
    refused (they cannot say 0.10 exactly), and so are thousands separators.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(f"Enter {label}.", field=field)
        return None
    if isinstance(value, (bool, float)):
        raise Invalid(f"Enter {label} as a number like 25000.50.", field=field)
    text = str(value).strip()
    if len(text) > AMOUNT_INPUT_MAX:
        raise Invalid(f"Enter {label} as a number like 25000.50.", field=field)
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        raise Invalid(f"Enter {label} as a number like 25000.50, without thousands separators.", field=field)
    if not number.is_finite():
        raise Invalid(f"Enter {label} as a number like 25000.50.", field=field)
    if number <= 0:
        raise Invalid(f"{label[0].upper()}{label[1:]} must be more than zero.", field=field)
    if number > AMOUNT_MAX:
        raise Invalid(f"{label[0].upper()}{label[1:]} must be at most 999,999,999,999.99.", field=field)
    if number.as_tuple().exponent < -2 and number != number.quantize(Decimal("0.01")):
        raise Invalid(f"{label[0].upper()}{label[1:]} has at most two decimal places.", field=field)
    return number.quantize(Decimal("0.01"))


def currency(value: Any) -> str:
    code = str(value or "").strip().upper()
    if not is_currency(code):
        raise Invalid(
            "Choose a currency from the list (an ISO 4217 code such as USD or EUR).", field="currency"
        )
    return code


def confidentiality(value: Any) -> str:
    level = str(value or "standard").strip().lower()
    if level not in CONFIDENTIALITY_LEVELS:
        raise Invalid("Choose standard or confidential.", field="confidentiality")
    return level


def today() -> date:
    return utcnow().date()


def default_expiry() -> date:
    return today() + timedelta(days=EXPIRY_DEFAULT_DAYS)


def expiry(value: Any) -> datetime:
    """The last moment (UTC) of the chosen day: tomorrow at the earliest, a year ahead at most."""
    if value is None or (isinstance(value, str) and not value.strip()):
        day = default_expiry()
    elif isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            raise Invalid("Enter the expiry date like 2030-05-31.", field="expires_on")
    if day <= today():
        raise Invalid("The expiry date must be in the future.", field="expires_on")
    if day > today() + timedelta(days=EXPIRY_MAX_DAYS):
        raise Invalid("The expiry date can be at most one year ahead.", field="expires_on")
    return datetime(day.year, day.month, day.day, 23, 59, 59)


def referral_fields(
    *,
    summary_text: Any,
    details: Any = "",
    customer_name: Any = "",
    customer_region: Any = "",
    customer_industry: Any = "",
    needed_specialisms: Any = "",
    estimated_value: Any = None,
    currency_code: Any = "USD",
    confidentiality_level: Any = "standard",
    expires_on: Any = None,
) -> dict:
    """Every field of a new referral, checked; raises on the first bad one."""
    return {
        "summary": summary(summary_text),
        "details": multi_line(details, DETAILS_MAX, "the details", "details"),
        "customer_name": one_line(customer_name, CUSTOMER_NAME_MAX, "the customer's name", "customer_name"),
        "customer_region": one_line(customer_region, REGION_MAX, "the customer's region", "customer_region"),
        "customer_industry": one_line(
            customer_industry, INDUSTRY_MAX, "the customer's industry", "customer_industry"
        ),
        "specialisms": specialisms(needed_specialisms),
        "estimated_value": amount(estimated_value, "estimated_value", "the estimated value"),
        "currency": currency(currency_code),
        "confidentiality": confidentiality(confidentiality_level),
        "expires_at": expiry(expires_on),
    }
