"""The first hour of a partner employee: the welcome page after confirming the email.

Why one page: a new member who confirmed their address should not dead-end on the
forum index. Here they complete their profile, find (or ask to join) their
organization, follow a few categories and introduce themselves, each optional.
"""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from app.accounts import organizations as org_services
from app.accounts.forms import ConfirmActionForm
from app.accounts.views import actor, bp


@bp.get("/welcome")
@login_required
def welcome():
    user = actor()
    return render_template(
        "accounts/welcome.html",
        user=user,
        suggested=org_services.suggested_organizations(user),
        organizations=org_services.list_organizations(),
        my_request=org_services.pending_request_of(user),
        action_form=ConfirmActionForm(),
    )
