"""Council pages (blueprint ``councils``, under /councils). Thin: parse, call a
service, commit, render. Outsiders get the site's plain 404 from ``NotFound``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required

from app.accounts.models import User
from app.core.errors import DomainError, Invalid, NotFound, PermissionDenied
from app.core.permissions import can, is_admin
from app.extensions import db
from app.plugins.councils import forum_space, meetings, services
from app.plugins.councils.forms import (
    AcceptForm,
    ApplicationForm,
    CharterForm,
    CouncilForm,
    DecisionForm,
    InviteForm,
)
from app.plugins.councils.models import CouncilApplication, CouncilMembership
from app.plugins.councils.view_access import current_actor
from app.web import form_error, form_status

bp = Blueprint(
    "councils",
    __name__,
    url_prefix="/councils",
    template_folder=str(Path(__file__).resolve().parent / "templates"),
)


@bp.get("/", endpoint="index")
@login_required
def index():
    actor = current_actor()
    return render_template(
        "councils/index.html",
        councils=services.councils_for(actor),
        open_calls=services.open_for_applications(actor),
        invitations=services.my_invitations(actor),
        public=meetings.public_councils(actor),
    )


@bp.get("/<int:council_id>", endpoint="show")
@login_required
def show(council_id: int):
    actor = current_actor()
    council = services.council_for(actor, council_id)
    charter = services.current_charter(council)
    if not is_admin(actor) and not services.has_accepted_current_charter(actor, council):
        return render_template("councils/accept.html", council=council, charter=charter, form=AcceptForm())
    return _show(actor, council, charter, CharterForm(charter=charter.body if charter else ""))


def _show(actor: Any, council: Any, charter: Any, charter_form: CharterForm):
    forum = forum_space.forum_of(council)
    return render_template(
        "councils/show.html",
        council=council,
        # Linked for those the forum admits (an admin outside the council is not).
        forum=forum if forum is not None and can(actor, "category.view", forum) else None,
        charter=charter,
        members=services.members(actor, council),
        may_manage=services.may_manage(actor, council),
        charter_form=charter_form,
    )


@bp.post("/<int:council_id>/charter", endpoint="publish_charter")
@login_required
def publish_charter(council_id: int):
    actor = current_actor()
    council = services.council_for(actor, council_id)
    form = CharterForm()
    if form.validate_on_submit():
        try:
            charter = services.publish_charter(actor, council, form.charter.data)
            db.session.commit()
            flash(
                f"Charter version {charter.version} published: members accept it before entering.", "success"
            )
            return redirect(url_for("councils.show", council_id=council.id))
        except DomainError as error:
            form_error(form, error)
    if not services.may_manage(actor, council):
        raise NotFound()
    return _show(actor, council, services.current_charter(council), form), 400


@bp.post("/<int:council_id>/members/<int:membership_id>/remove", endpoint="remove_member")
@login_required
def remove_member(council_id: int, membership_id: int):
    actor = current_actor()
    council = services.council_for(actor, council_id)
    membership = db.session.get(CouncilMembership, membership_id)
    if membership is None or membership.council_id != council.id:
        raise NotFound()
    try:
        services.end_membership(actor, membership)
        db.session.commit()
        flash(f"{membership.user.display_name} no longer has a place on the council.", "success")
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, NotFound | PermissionDenied):
            raise
        flash(error.message, "error")
    return redirect(url_for("councils.show", council_id=council.id))


@bp.post("/<int:council_id>/accept", endpoint="accept")
@login_required
def accept(council_id: int):
    actor = current_actor()
    council = services.council_for(actor, council_id)
    form = AcceptForm()
    charter = services.current_charter(council)
    if form.validate_on_submit():
        try:
            services.accept_charter(actor, council, form.version.data)
            db.session.commit()
            flash("Thank you: you accepted the charter and its confidentiality terms.", "success")
            return redirect(url_for("councils.show", council_id=council.id))
        except DomainError as error:
            form_error(form, error)
    return render_template("councils/accept.html", council=council, charter=charter, form=form), form_status()


@bp.route("/<int:council_id>/apply", methods=["GET", "POST"], endpoint="apply")
@login_required
def apply(council_id: int):
    actor = current_actor()
    council = services.council_open_for(actor, council_id)
    form = ApplicationForm()
    if form.validate_on_submit():
        try:
            services.apply(actor, council, form.statement.data)
            db.session.commit()
            flash("Your application was sent to the council's chair.", "success")
            return redirect(url_for("councils.index"))
        except DomainError as error:
            form_error(form, error)
    return render_template("councils/apply.html", council=council, form=form), form_status()


@bp.route("/<int:council_id>/applications", methods=["GET"], endpoint="applications")
@login_required
def applications(council_id: int):
    actor = current_actor()
    council = services.council_for(actor, council_id)
    rows = services.pending_applications(actor, council)
    return render_template(
        "councils/applications.html",
        council=council,
        rows=[(row, services.applicant_profile(row)) for row in rows],
        form=DecisionForm(),
        invite_form=InviteForm(),
    )


@bp.post(
    "/<int:council_id>/applications/<int:application_id>/<any(grant,decline):decision>", endpoint="decide"
)
@login_required
def decide(council_id: int, application_id: int, decision: str):
    actor = current_actor()
    council = services.council_for(actor, council_id)
    application = db.session.get(CouncilApplication, application_id)
    if application is None or application.council_id != council.id:
        raise NotFound()
    form = DecisionForm()
    form.validate_on_submit()
    try:
        services.decide_application(
            actor, application, decision == "grant", form.note.data or "", form.override_reason.data or ""
        )
        db.session.commit()
        flash("Seat granted." if decision == "grant" else "Application declined.", "success")
    except (Invalid, DomainError) as error:
        db.session.rollback()
        if isinstance(error, NotFound | PermissionDenied):
            raise
        flash(error.message, "error")
        return redirect(url_for("councils.applications", council_id=council.id)), 303
    return redirect(url_for("councils.applications", council_id=council.id))


@bp.post("/<int:council_id>/invite", endpoint="invite")
@login_required
def invite(council_id: int):
    actor = current_actor()
    council = services.council_for(actor, council_id)
    form = InviteForm()
    if form.validate_on_submit():
        user = db.session.scalar(sa.select(User).where(User.username == form.username.data.strip()))
        try:
            if user is None:
                raise Invalid("No member has that username.", field="username")
            services.invite(actor, council, user, form.role.data)
            db.session.commit()
            flash(f"{user.display_name} is invited.", "success")
            return redirect(url_for("councils.applications", council_id=council.id))
        except DomainError as error:
            form_error(form, error)
    rows = services.pending_applications(actor, council)
    return render_template(
        "councils/applications.html",
        council=council,
        rows=[(row, services.applicant_profile(row)) for row in rows],
        form=DecisionForm(),
        invite_form=form,
    ), 400


@bp.post("/invitations/<int:invitation_id>/<any(accept,decline):answer>", endpoint="answer")
@login_required
def answer(invitation_id: int, answer: str):
    actor = current_actor()
    invitation = db.session.get(CouncilApplication, invitation_id)
    if invitation is None:
        raise NotFound()
    try:
        services.answer_invitation(actor, invitation, answer == "accept")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, NotFound | PermissionDenied):
            raise
        flash(error.message, "error")
        return redirect(url_for("councils.index"))
    if answer == "accept":
        return redirect(url_for("councils.show", council_id=invitation.council_id))
    flash("Invitation declined.", "success")
    return redirect(url_for("councils.index"))


def _parse_rules(text: str) -> list[tuple[str, str, int]]:
    rules = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(",")]
        if len(parts) != 3 or not parts[2].isdigit():
            raise Invalid(f"Seat rule line {number}: write kind, value, max seats.", field="rules")
        rules.append((parts[0].lower(), parts[1], int(parts[2])))
    return rules


@bp.route("/new", methods=["GET", "POST"], endpoint="new")
@login_required
def new():
    actor = current_actor()
    if not is_admin(actor):
        raise NotFound()
    form = CouncilForm()
    if form.validate_on_submit():
        try:
            opened: date | None = form.applications_open_from.data
            council = services.create_council(
                actor,
                form.name.data,
                form.charter.data,
                scope=form.scope.data,
                region=form.region.data or "",
                seats=form.seats.data,
                term_months=form.term_months.data,
                rules=_parse_rules(form.rules.data),
                applications_open_from=opened,
                applications_open_until=form.applications_open_until.data,
            )
            db.session.commit()
            flash("Council created. Invite its chair next.", "success")
            return redirect(url_for("councils.applications", council_id=council.id))
        except DomainError as error:
            form_error(form, error)
    return render_template(
        "councils/new.html", form=form, councils=services.councils_for(actor)
    ), form_status()
