"""Referral forms: they check shape and length only; ``referrals`` decides and saves.

Currency, confidentiality and the recipient are select lists whose values the service
checks (``validate_choice=False``), so a forged value gets the service's clear message
beside the field instead of WTForms' generic one.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.referrals import checks as limits
from app.referrals.currencies import currency_choices

_EXPIRY_HINT = "Not a valid date: use the date picker or write it like 2030-05-31."


class ReferralForm(FlaskForm):
    summary = StringField(
        "Summary", validators=[DataRequired(message="Enter a summary."), Length(max=limits.SUMMARY_MAX)]
    )
    details = TextAreaField("Details (Markdown)", validators=[Optional(), Length(max=limits.DETAILS_MAX)])
    customer_name = StringField(
        "Customer name", validators=[Optional(), Length(max=limits.CUSTOMER_NAME_MAX)]
    )
    customer_region = StringField("Customer's region", validators=[Optional(), Length(max=limits.REGION_MAX)])
    customer_industry = StringField(
        "Customer's industry", validators=[Optional(), Length(max=limits.INDUSTRY_MAX)]
    )
    specialisms = StringField("Needed specialisms", validators=[Optional(), Length(max=2000)])
    estimated_value = StringField(
        "Estimated value", validators=[Optional(), Length(max=limits.AMOUNT_INPUT_MAX)]
    )
    currency = SelectField(
        "Currency",
        choices=[SelectChoice(code, label) for code, label in currency_choices()],
        default="USD",
        validate_choice=False,
    )
    confidentiality = SelectField(
        "Confidentiality",
        choices=[
            SelectChoice("standard", "Standard: the recipient sees everything"),
            SelectChoice("confidential", "Confidential: customer name and details only after they accept"),
        ],
        default="standard",
        validate_choice=False,
    )
    expires_on = DateField("Expires on", validators=[Optional()], format="%Y-%m-%d")
    recipient = SelectField("Send to", choices=[], validate_choice=False)
    shortlist = SelectMultipleField("Shortlist", choices=[], validate_choice=False)

    def process_expiry_error(self) -> None:
        """WTForms says "Not a valid date value."; say how to write one."""
        if self.expires_on.errors:
            self.expires_on.errors = [_EXPIRY_HINT]


class NoteForm(FlaskForm):
    """Accept, start work, withdraw: an optional note for the timeline."""

    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=limits.NOTE_MAX)])


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        "Reason for declining",
        validators=[DataRequired(message="Give a reason."), Length(max=limits.REASON_MAX)],
    )


class OutcomeForm(FlaskForm):
    """Won (value required, checked by the service) or lost (value optional)."""

    value = StringField("Outcome value", validators=[Optional(), Length(max=limits.AMOUNT_INPUT_MAX)])
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=limits.NOTE_MAX)])
