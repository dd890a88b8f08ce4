"""Partner organization pages: list, page, create, edit, invite and accept invitations."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts import organizations as org_services
from app.accounts.forms import ConfirmActionForm, InviteForm, JoinRequestForm, OrganizationForm
from app.accounts.models import PARTNER_TYPE_LABELS
from app.accounts.views import actor, bp
from app.core.errors import DomainError
from app.core.permissions import can
from app.extensions import db
from app.web import form_error, form_status, safe_next_url


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
        "email_domains": form.email_domains.data or "",
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
        # The site setting keeps creation to administrators: say so and offer a way on.
        return render_template("orgs/creation_closed.html"), 403
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
    viewer = actor()
    can_manage = can(viewer, "org.manage", org)
    return render_template(
        "orgs/show.html",
        org=org,
        website=org_services.safe_website(org.website),
        partner_type_label=PARTNER_TYPE_LABELS.get(org.partner_type, org.partner_type),
        can_manage=can_manage,
        pending_count=len(org_services.pending_join_requests(viewer, org)) if can_manage else 0,
        may_join=org_services.may_request_to_join(viewer),
        my_request=org_services.pending_request_of(viewer),
    )


@bp.route("/o/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_organization(slug: str):
    org = org_services.get_organization(slug)
    if not can(actor(), "org.manage", org):
        abort(403)
    form = OrganizationForm(obj=None if request.method == "POST" else org)
    if request.method == "GET":
        for name in ("regions", "specialisms", "industries", "email_domains"):
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


# --- join requests -----------------------------------------------------------------------


@bp.route("/o/<slug>/join", methods=["GET", "POST"])
@login_required
def request_to_join(slug: str):
    """Ask the organization's admins to let me join (an optional note helps them)."""
    org = org_services.get_organization(slug)
    form = JoinRequestForm()
    pending = org_services.pending_request_of(actor())
    if form.validate_on_submit():
        try:
            org_services.request_to_join(actor(), org, form.note.data or "")
            db.session.commit()
        except DomainError as error:
            form_error(form, error, reraise_access=False)
        else:
            flash(f"We have asked the admins of {org.name}; you will be notified of their answer.", "success")
            return redirect(url_for("accounts.organization", slug=org.slug))
    return render_template("orgs/join.html", form=form, org=org, pending=pending), form_status()


@bp.post("/join-requests/<int:request_id>/withdraw")
@login_required
def withdraw_join_request(request_id: int):
    pending = org_services.pending_request_of(actor())
    if pending is None or pending.id != request_id or not ConfirmActionForm().validate_on_submit():
        abort(404)
    org_services.withdraw_join_request(actor(), pending)
    db.session.commit()
    flash("Your request has been withdrawn.", "info")
    return redirect(url_for("accounts.welcome"))


@bp.get("/o/<slug>/requests")
@login_required
def join_requests(slug: str):
    org = org_services.get_organization(slug)
    requests = org_services.pending_join_requests(actor(), org)
    return render_template(
        "orgs/requests.html", org=org, join_requests=requests, action_form=ConfirmActionForm()
    )


@bp.post("/o/<slug>/requests/<int:request_id>")
@login_required
def decide_join_request(slug: str, request_id: int):
    """Approve or decline; back to where the admin came from (this page or /admin)."""
    org = org_services.get_organization(slug)
    join_request = org_services.get_join_request(actor(), org, request_id)
    back = safe_next_url(request.form.get("next"), url_for("accounts.join_requests", slug=org.slug))
    if not ConfirmActionForm().validate_on_submit():
        flash("The form has expired; try again.", "error")
        return redirect(back)
    approve = request.form.get("decision") == "approve"
    name = join_request.user.display_name
    try:
        org_services.decide_join_request(actor(), join_request, approve)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        if approve:
            flash(f"{name} has joined {org.name}.", "success")
        else:
            flash(f"You declined {name}'s request.", "info")
    return redirect(back)
