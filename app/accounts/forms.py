"""Account and organization forms: they validate shape only; services decide and save."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, EqualTo, Length, Optional

from app.accounts.models import PARTNER_TYPES, TIERS
from app.accounts.places import REGIONS, country_choices
from app.accounts.services import PASSWORD_MIN_LENGTH
from app.core.permissions import ROLES

_password_length = Length(
    min=PASSWORD_MIN_LENGTH, max=1024, message=f"At least {PASSWORD_MIN_LENGTH} characters."
)


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    display_name = StringField("Display name", validators=[DataRequired(), Length(min=2, max=80)])
    password = PasswordField("Password", validators=[DataRequired(), _password_length])
    confirm = PasswordField(
        "Repeat password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField("Keep me signed in on this device")


class EmailForm(FlaskForm):
    """Resend confirmation and forgotten password: just an address."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), _password_length])
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=[DataRequired(), Length(min=2, max=80)])
    job_title = StringField("Job title", validators=[Optional(), Length(max=120)])
    region = SelectField(
        "Region",
        choices=[SelectChoice("", "—"), *(SelectChoice(r, r) for r in REGIONS)],
        validate_choice=True,
    )
    country = SelectField(
        "Country",
        choices=[SelectChoice("", "—"), *(SelectChoice(code, name) for code, name in country_choices())],
        validate_choice=True,
    )
    languages = StringField("Languages", validators=[Optional(), Length(max=2000)])
    specialisms = StringField("Specialisms", validators=[Optional(), Length(max=2000)])
    certifications = StringField("Certifications", validators=[Optional(), Length(max=2000)])
    industries = StringField("Industries", validators=[Optional(), Length(max=2000)])
    bio = TextAreaField("About you (Markdown)", validators=[Optional(), Length(max=10_000)])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(role, role.title()) for role in ROLES])
    reason = StringField("Reason (for the audit log)", validators=[Optional(), Length(max=500)])


class OrganizationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(min=2, max=120)])
    partner_type = SelectField(
        "Partner type", choices=[SelectChoice(value, label) for value, label in PARTNER_TYPES]
    )
    tier = SelectField("Tier", choices=[SelectChoice(tier, tier.title()) for tier in TIERS])
    regions = StringField("Regions", validators=[Optional(), Length(max=2000)])
    specialisms = StringField("Specialisms", validators=[Optional(), Length(max=2000)])
    industries = StringField("Industries", validators=[Optional(), Length(max=2000)])
    website = StringField(
        "Website",
        validators=[
            Optional(),
            Length(max=300),
            URL(require_tld=False, message="Enter a full http(s) address."),
        ],
    )
    description = TextAreaField("Description (Markdown)", validators=[Optional(), Length(max=20_000)])
    email_domains = StringField("Staff email domains", validators=[Optional(), Length(max=2000)])


class JoinRequestForm(FlaskForm):
    note = TextAreaField(
        "A note for the organization's admins (optional)", validators=[Optional(), Length(max=1000)]
    )


class InviteForm(FlaskForm):
    email = EmailField("Colleague's email", validators=[DataRequired(), Length(max=254)])


class ConfirmActionForm(FlaskForm):
    """An empty form: a POST button with its CSRF token (accept invitation)."""
