"""Admin forms: they validate input and never save. The role, suspension and
organization forms of accounts and moderation are reused as they are."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from app.accounts.forms import OrganizationForm
from app.admin.organizations import CRM_ID_MAX


class AdminOrganizationForm(OrganizationForm):
    crm_id = StringField("External CRM id", validators=[Optional(), Length(max=CRM_ID_MAX)])


class CsrfForm(FlaskForm):
    """One-button actions and the settings page (whose fields come from the setting
    definitions): the token is all WTForms checks; the services check the values."""


class ReasonOnlyForm(FlaskForm):
    reason = StringField("Reason (for the audit log, optional)", validators=[Optional(), Length(max=500)])
