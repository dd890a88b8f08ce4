"""Notifications page, opening and reading notifications, preferences, unread count."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.core.params import page_number
from app.extensions import db
from app.notifications import kinds, services
from app.notifications.forms import EmptyForm, kind_field_name, preferences_form_class
from app.web import form_status, safe_next_url

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

PREFERENCE_FIELDS = ("email_replies", "email_mentions", "notify_likes", "notify_watching")


@bp.get("/")
@login_required
def index():
    page = page_number(request.args.get("page"))
    result = services.list_notifications(current_user, page=page)
    return render_template("notifications/index.html", result=result, form=EmptyForm())


def _read_and_redirect(notification_id: int):
    """Mark read and go to the notification's target, which must be a local path."""
    notification = services.get_own_notification(current_user, notification_id)
    visible = services.is_visible_to(notification, current_user)
    services.mark_read(current_user, notification)
    db.session.commit()
    if not visible:
        flash("That content is no longer available.", "info")
        return redirect(url_for("notifications.index"))
    return redirect(safe_next_url(notification.url, url_for("notifications.index")))


@bp.get("/<int:notification_id>")
@login_required
def open(notification_id: int):
    return _read_and_redirect(notification_id)


@bp.post("/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    form = EmptyForm()
    if not form.validate():
        return redirect(url_for("notifications.index"))
    return _read_and_redirect(notification_id)


@bp.post("/read-all")
@login_required
def mark_all_read():
    form = EmptyForm()
    if form.validate():
        services.mark_all_read(current_user)
        db.session.commit()
        flash("All notifications marked read.", "info")
    return redirect(url_for("notifications.index"))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    groups = kinds.grouped_kinds()
    declared = [kind for group in groups.values() for kind in group]
    form_class = preferences_form_class(declared)
    # The member's current choices also stand for a kind a POST leaves out (a page
    # opened before a plug-in was enabled): absent is "unchanged", not refused.
    choices = kinds.kind_choices(current_user)
    initial = {kind_field_name(kind): choices[kind.name].value for kind in declared}
    if request.method == "GET":
        form = form_class(obj=services.preferences_for(current_user), **initial)
    else:
        form = form_class(**initial)
    if form.validate_on_submit():
        services.update_preferences(
            current_user, **{name: getattr(form, name).data for name in PREFERENCE_FIELDS}
        )
        kinds.update_kind_preferences(
            current_user, {kind.name: form[kind_field_name(kind)].data for kind in declared}
        )
        db.session.commit()
        flash("Notification preferences saved.", "info")
        return redirect(url_for("notifications.preferences"))
    status = form_status()
    fields = {name: [form[kind_field_name(kind)] for kind in group] for name, group in groups.items()}
    return render_template("notifications/preferences.html", form=form, kind_groups=fields), status


@bp.get("/unread.json")
@login_required
def unread_json():
    return jsonify(unread=services.unread_count(current_user))
