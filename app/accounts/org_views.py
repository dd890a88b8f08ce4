"""Partner organization pages: list, page, create, edit, invite and accept invitations."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts import organizations as org_services
from app.accounts.forms import ConfirmActionForm, InviteForm, OrganizationForm
from app.accounts.models import PARTNER_TYPE_LABELS
from app.accounts.views import actor, bp
from app.core.errors import DomainError
from app.core.permissions import can
from app.extensions import db
from app.web import form_error, form_status


def _org_values(form: OrganizationForm) -> dict:
    return {
        "name": form.name.data or "",
        "partner_type": form.partner_type.data,
        "tier": form.tier.data,
        "regions": form.regions.data or "",
        "specialisms": form.specialisms.data or "",
        "industries": form.industries.data or "",
        "website": form.website.data or None,
        "description": form.description.data or "",
    }


@bp.get("/orgs")
def organizations():
    return render_template(
        "orgs/list.html",
        organizations=org_services.list_organizations(),
        can_create=can(actor(), "org.create"),
    )


@bp.route("/orgs/new", methods=["GET", "POST"])
@login_required
def new_organization():
    if not can(actor(), "org.create"):
        abort(403)
    form = OrganizationForm()
    if form.validate_on_submit():
        try:
            org = org_services.create_organization(actor(), **_org_values(form))
            db.session.commit()
        except DomainError as error:
            form_error(form, error, reraise_access=False)
        else:
            flash(f"{org.name} has been created.", "success")
            return redirect(url_for("accounts.organization", slug=org.slug))
    return render_template("orgs/form.html", form=form, org=None), form_status()


@bp.get("/o/<slug>")
def organization(slug: str):
    org = org_services.get_organization(slug)
    return render_template(
        "orgs/show.html",
        org=org,
        website=org_services.safe_website(org.website),
        partner_type_label=PARTNER_TYPE_LABELS.get(org.partner_type, org.partner_type),
        can_manage=can(actor(), "org.manage", org),
    )


@bp.route("/o/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_organization(slug: str):
    org = org_services.get_organization(slug)
    if not can(actor(), "org.manage", org):
        abort(403)
    form = OrganizationForm(obj=None if request.method == "POST" else org)
    if request.method == "GET":
        for name in ("regions", "specialisms", "industries"):
            getattr(form, name).data = ", ".join(getattr(org, name) or [])
        form.website.data = org.website or ""
    if form.validate_on_submit():
        try:
            org_services.update_organization(actor(), org, **_org_values(form))
            db.session.commit()
        except DomainError as error:
            form_error(form, error, reraise_access=False)
        else:
            flash("The organization has been saved.", "success")
            return redirect(url_for("accounts.organization", slug=org.slug))
    return render_template("orgs/form.html", form=form, org=org), form_status()


@bp.route("/o/<slug>/invite", methods=["GET", "POST"])
@login_required
def invite(slug: str):
    org = org_services.get_organization(slug)
    if not can(actor(), "org.manage", org):
        abort(403)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation = org_services.invite_colleague(actor(), org, form.email.data)
            db.session.commit()
        except DomainError as error:
            form_error(form, error, reraise_access=False)
        else:
            flash(f"We have emailed an invitation to {invitation.email}.", "success")
            return redirect(url_for("accounts.organization", slug=org.slug))
    return render_template("orgs/invite.html", form=form, org=org), form_status()


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    try:
        invitation = org_services.find_invite(token)
    except DomainError as error:
        return render_template("orgs/invite_problem.html", message=error.message), error.status_code
    form = ConfirmActionForm()
    problem = None
    if current_user.is_authenticated and form.validate_on_submit():
        try:
            org = org_services.accept_invite(actor(), token)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            problem = error.message
            return render_template(
                "orgs/accept.html", form=form, invite=invitation, token=token, problem=problem
            ), error.status_code
        flash(f"Welcome to {org.name}.", "success")
        return redirect(url_for("accounts.organization", slug=org.slug))
    if request.method == "POST":
        # Anonymous POST: nothing to do but ask them to sign in.
        return render_template(
            "orgs/accept.html", form=form, invite=invitation, token=token, problem="Sign in first."
        ), 403
    return render_template("orgs/accept.html", form=form, invite=invitation, token=token, problem=problem)
