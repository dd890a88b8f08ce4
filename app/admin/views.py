"""The admin area's pages (blueprint ``admin`` at /admin). Thin: every page reads
through a service and every POST changes through one, then redirects."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required

from app.accounts import organizations as orgs
from app.accounts.forms import RoleForm
from app.admin import audit, dashboard, system, users
from app.admin import organizations as admin_orgs
from app.admin.forms import AdminOrganizationForm, CsrfForm, ReasonOnlyForm
from app.admin.nav import admin_navigation
from app.core import settings as core_settings
from app.core.errors import DomainError
from app.core.params import page_number
from app.core.permissions import ROLES, require
from app.extensions import db
from app.moderation.forms import SilenceForm, SuspendForm
from app.web import form_error, form_status

bp = Blueprint("admin", __name__, url_prefix="/admin")
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _actor() -> Any:
    return current_user._get_current_object()


@bp.before_request
@login_required
def _admins_only() -> None:
    """Visitors are sent to sign in; signed-in members who are not admins get 403.
    Each service checks again: this only keeps the pages consistent."""
    require(_actor(), "admin.view")


@bp.app_template_global("admin_navigation")
def _navigation() -> list:
    return admin_navigation(_actor(), request.endpoint)


def _flash_error(error: DomainError) -> None:
    db.session.rollback()
    flash(error.message, "error")


# --- dashboard ------------------------------------------------------------------------------


@bp.get("/", endpoint="dashboard")
def dashboard_page():
    days = request.args.get("days") or ""
    window = next((w for w in dashboard.WINDOWS if str(w) == days), dashboard.WINDOWS[0])
    return render_template(
        "admin/dashboard.html",
        figures=dashboard.dashboard(_actor(), window),
        window=window,
        windows=dashboard.WINDOWS,
        attention=dashboard.attention(_actor()),
    )


@bp.get("/charts/<metric>-<int:window>.svg")
def chart(metric: str, window: int):
    """A chart as an image: pygal's SVG, with a policy of its own that lets its inline
    style apply and nothing else load or run."""
    series = dashboard.metric_series(_actor(), metric, window)
    svg = dashboard.chart_svg(series, core_settings.get_setting("accent_color"))
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = CHART_CSP
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


# --- users ----------------------------------------------------------------------------------


@bp.get("/users", endpoint="users")
def users_page():
    filters = users.UserFilters.from_args(request.args)
    result = users.search_users(_actor(), filters, page_number(request.args.get("page")))
    return render_template(
        "admin/users.html",
        result=result,
        filters=filters,
        roles=ROLES,
        statuses=users.STATUSES,
        seen_choices=users.LAST_SEEN,
        organizations=users.organization_choices(),
    )


@bp.get("/users/<username>")
def user_detail(username: str):
    user = users.get_user(_actor(), username)
    role_form = RoleForm(role=user.role)
    return render_template(
        "admin/user.html",
        overview=users.user_overview(_actor(), user),
        role_form=role_form,
        suspend_form=SuspendForm(),
        silence_form=SilenceForm(),
        may_silence=users.may_silence(_actor(), user),
        reason_form=ReasonOnlyForm(),
        action_form=CsrfForm(),
    )


def _back_to(user: Any) -> Response:
    return redirect(url_for("admin.user_detail", username=user.username))


@bp.post("/users/<username>/role")
def user_role(username: str):
    user = users.get_user(_actor(), username)
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose a role from the list.", "error")
        return _back_to(user)
    try:
        users.change_role(_actor(), user, form.role.data, form.reason.data or "")
        db.session.commit()
    except DomainError as error:
        _flash_error(error)
    else:
        flash(f"{user.display_name} is now {user.role}.", "success")
    return _back_to(user)


def _restrict(username: str, form: Any, apply: Callable[..., Any], done: str) -> Response:
    """Suspend or silence until a date, with a reason; ``done`` names the outcome."""
    user = users.get_user(_actor(), username)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(errors), "error")
        return _back_to(user)
    try:
        apply(_actor(), user, form.until.data, form.reason.data)
        db.session.commit()
    except DomainError as error:
        _flash_error(error)
    else:
        flash(f"{user.display_name} is {done} until {form.until.data:%Y-%m-%d}.", "success")
    return _back_to(user)


def _lift(username: str, apply: Callable[..., Any], done: str) -> Response:
    """Lift a suspension or silence, with an optional reason for the audit log."""
    user = users.get_user(_actor(), username)
    form = ReasonOnlyForm()
    if form.validate_on_submit():
        try:
            apply(_actor(), user, form.reason.data or "")
            db.session.commit()
        except DomainError as error:
            _flash_error(error)
        else:
            flash(done.format(name=user.display_name), "success")
    return _back_to(user)


@bp.post("/users/<username>/suspend")
def user_suspend(username: str):
    return _restrict(username, SuspendForm(), users.suspend, "suspended")


@bp.post("/users/<username>/unsuspend")
def user_unsuspend(username: str):
    return _lift(username, users.unsuspend, "{name}'s suspension has been lifted.")


@bp.post("/users/<username>/silence")
def user_silence(username: str):
    return _restrict(username, SilenceForm(), users.silence, "silenced")


@bp.post("/users/<username>/unsilence")
def user_unsilence(username: str):
    return _lift(username, users.unsilence, "{name} may post again.")


@bp.post("/users/<username>/resend-confirmation")
def user_resend_confirmation(username: str):
    user = users.get_user(_actor(), username)
    if CsrfForm().validate_on_submit():
        try:
            users.resend_confirmation(_actor(), user)
            db.session.commit()
        except DomainError as error:
            _flash_error(error)
        else:
            flash(f"A new confirmation link is on its way to {user.email}.", "success")
    return _back_to(user)


@bp.post("/users/<username>/sign-out")
def user_sign_out(username: str):
    user = users.get_user(_actor(), username)
    if CsrfForm().validate_on_submit():
        ended = users.sign_out_everywhere(_actor(), user)
        db.session.commit()
        flash(f"{user.display_name} has been signed out of {ended} browser(s).", "success")
    return _back_to(user)


@bp.post("/users/<username>/export")
def user_export(username: str):
    """The member's data as a JSON download (a POST: the export is audited)."""
    user = users.get_user(_actor(), username)
    if not CsrfForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return _back_to(user)
    document = users.export_user_data(_actor(), user)
    db.session.commit()
    response = Response(json.dumps(document, indent=2, ensure_ascii=False), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="guildhall-user-{user.id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- organizations --------------------------------------------------------------------------


@bp.get("/organizations", endpoint="organizations")
def organizations_page():
    q = request.args.get("q") or ""
    return render_template(
        "admin/organizations.html", rows=admin_orgs.list_organizations(_actor(), q), q=q[:100]
    )


def _org_values(form: AdminOrganizationForm) -> dict:
    return {name: getattr(form, name).data or "" for name in admin_orgs.FIELDS}


@bp.route("/organizations/new", methods=["GET", "POST"])
def organization_new():
    form = AdminOrganizationForm()
    if form.validate_on_submit():
        try:
            org = admin_orgs.create_organization(_actor(), _org_values(form), form.crm_id.data)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"{org.name} has been created.", "success")
            return redirect(url_for("admin.organization_edit", org_id=org.id))
    return render_template("admin/organization_form.html", form=form, org=None), form_status()


@bp.route("/organizations/<int:org_id>", methods=["GET", "POST"])
def organization_edit(org_id: int):
    org = admin_orgs.get_organization(_actor(), org_id)
    if request.method == "GET":
        form = AdminOrganizationForm(
            obj=org,
            regions=", ".join(org.regions or []),
            specialisms=", ".join(org.specialisms or []),
            industries=", ".join(org.industries or []),
            email_domains=", ".join(org.email_domains or []),
        )
    else:
        form = AdminOrganizationForm()
    if form.validate_on_submit():
        try:
            admin_orgs.update_organization(_actor(), org, _org_values(form), form.crm_id.data)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"{org.name} has been saved.", "success")
            return redirect(url_for("admin.organization_edit", org_id=org.id))
    return (
        render_template(
            "admin/organization_form.html",
            form=form,
            org=org,
            members=admin_orgs.members_of(_actor(), org),
            join_requests=orgs.pending_join_requests(_actor(), org),
            action_form=CsrfForm(),
        ),
        form_status(),
    )


@bp.post("/organizations/<int:org_id>/members/<username>/admin")
def organization_member_admin(org_id: int, username: str):
    org = admin_orgs.get_organization(_actor(), org_id)
    user = users.get_user(_actor(), username)
    if CsrfForm().validate_on_submit():
        make_admin = request.form.get("org_admin") == "1"
        try:
            admin_orgs.set_org_admin(_actor(), org, user, make_admin)
            db.session.commit()
        except DomainError as error:
            _flash_error(error)
        else:
            what = "an admin of" if make_admin else "no longer an admin of"
            flash(f"{user.display_name} is {what} {org.name}.", "success")
    return redirect(url_for("admin.organization_edit", org_id=org.id))


# --- site settings, email, plug-ins --------------------------------------------------------


def _settings_input(form_data: Any) -> dict[str, Any]:
    """The posted values of the settings the environment does not pin, shaped as the
    definitions expect (checkboxes absent when unticked)."""
    pinned = core_settings.site_settings().from_env
    raw: dict[str, Any] = {}
    for key, definition in core_settings.DEFINITIONS.items():
        if key in pinned:
            continue
        if definition.kind == "bool":
            raw[key] = form_data.get(key) == "1"
        elif definition.kind == "flags":
            raw[key] = {name: form_data.get(f"{key}.{name}") == "1" for name, _ in definition.choices}
        elif key in form_data:
            raw[key] = form_data.get(key, "")
    return raw


@bp.route("/settings", methods=["GET", "POST"], endpoint="settings")
def settings_page():
    form = CsrfForm()
    errors: dict[str, str] = {}
    posted: dict[str, Any] = {}
    if form.validate_on_submit():
        posted = _settings_input(request.form)
        try:
            changes = system.save_settings(_actor(), posted)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            errors[error.field or "_form"] = error.message
        else:
            flash(
                f"Saved {len(changes)} setting(s)." if changes else "Nothing changed.",
                "success",
            )
            return redirect(url_for("admin.settings"))
    current = core_settings.site_settings()
    values = dict(current.values)
    values.update({k: v for k, v in posted.items() if k not in errors})
    return (
        render_template(
            "admin/settings.html",
            form=form,
            definitions=core_settings.DEFINITIONS.values(),
            values=values,
            posted=posted,
            pinned=current.from_env,
            rows=core_settings.stored_rows(),
            errors=errors,
            logo_url=system.logo_url(),
        ),
        form_status(),
    )


@bp.get("/email", endpoint="email")
def email_page():
    return render_template(
        "admin/email.html",
        settings=system.mail_settings(_actor()),
        outbox=system.outbox(_actor()),
        failing=system.failing_email(_actor()),
        form=CsrfForm(),
    )


@bp.post("/email/test")
def email_test():
    if CsrfForm().validate_on_submit():
        address = system.send_test_email(_actor())
        db.session.commit()
        flash(f"A test email has been sent to {address}.", "success")
    return redirect(url_for("admin.email"))


@bp.get("/plugins", endpoint="plugins")
def plugins_page():
    return render_template("admin/plugins.html", plugins=system.plugins(_actor()))


# --- audit log -----------------------------------------------------------------------------


@bp.get("/audit", endpoint="audit")
def audit_page():
    filters = audit.AuditFilters.from_args(request.args)
    view = audit.audit_view(_actor(), filters, page_number(request.args.get("page")))
    return render_template("admin/audit.html", view=view, filters=filters)


@bp.get("/audit.csv")
def audit_csv():
    filters = audit.AuditFilters.from_args(request.args)
    lines = audit.audit_csv(_actor(), filters)
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
