"""Moderation pages: flagging, the review queue, actions, suspensions and the audit log.

Views parse input, call one service, commit once, and on a ``DomainError`` roll back
and show the message on the form (400). Missing or private things answer 404 and
staff-only pages answer 403 through the app's error handlers.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from app.accounts.models import User
from app.core.errors import DomainError, Invalid
from app.core.params import page_number
from app.core.permissions import can, require
from app.extensions import db
from app.forums.models import Category, Post, Topic
from app.moderation import services
from app.moderation.forms import (
    FlagForm,
    HidePostForm,
    MoveTopicForm,
    ReasonForm,
    ResolveFlagForm,
    SuspendForm,
)
from app.moderation.models import Flag
from app.notifications.links import post_url, profile_url, topic_url
from app.web import form_error, form_status, safe_next_url

bp = Blueprint("moderation", __name__, url_prefix="/mod")


def _get_or_404(model, ident: int):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def _user_or_404(username: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        abort(404)
    return user


def _is_form_error(error: DomainError) -> bool:
    """Bad input and state conflicts go back to the form; 403/404 go to the error page."""
    return error.status_code in (400, 409)


def _back(fallback: str) -> str:
    return safe_next_url(request.form.get("next") or request.args.get("next"), fallback)


# --- flags -------------------------------------------------------------------------


@bp.route("/flag/<int:post_id>", methods=["GET", "POST"])
@login_required
def flag_post(post_id: int):
    post = _get_or_404(Post, post_id)
    require(current_user, "post.view", post, hide=True)
    form = FlagForm()
    if form.validate_on_submit():
        try:
            services.flag_post(current_user, post, form.reason.data, form.note.data or "")
        except DomainError as error:
            form_error(form, error)
        else:
            db.session.commit()
            flash("Thank you. A moderator will review this post.", "info")
            return redirect(post_url(post))
    status = form_status()
    return render_template("moderation/flag.html", form=form, post=post, post_href=post_url(post)), status


@bp.get("/queue")
@login_required
def queue():
    items = services.review_queue(current_user)
    links = {item.post.id: post_url(item.post) for item in items}
    return render_template("moderation/queue.html", items=items, links=links, form=ResolveFlagForm())


@bp.post("/flags/<int:flag_id>/resolve")
@login_required
def resolve_flag(flag_id: int):
    require(current_user, "moderation.review")
    flag = _get_or_404(Flag, flag_id)
    form = ResolveFlagForm()
    try:
        if not form.validate():
            raise Invalid("Choose agree or dismiss.", field="resolution")
        services.resolve_flag(current_user, flag, form.resolution.data)
    except DomainError as error:
        db.session.rollback()
        if not _is_form_error(error):
            raise
        flash(error.message, "error")
        items = services.review_queue(current_user)
        links = {item.post.id: post_url(item.post) for item in items}
        return render_template("moderation/queue.html", items=items, links=links, form=form), 400
    db.session.commit()
    flash("Flag resolved.", "info")
    return redirect(url_for("moderation.queue"))


# --- posts -------------------------------------------------------------------------


@bp.post("/posts/<int:post_id>/hide")
@login_required
def hide_post(post_id: int):
    post = _get_or_404(Post, post_id)
    require(current_user, "post.hide", post)
    form = HidePostForm()
    if "reason" not in request.form:
        # A bare "Hide" button (no reason field): ask for the reason first.
        form.next.data = _back("")
        return render_template("moderation/hide_post.html", form=form, post=post, post_href=post_url(post))
    if form.validate():
        try:
            services.hide_post(current_user, post, form.reason.data)
        except DomainError as error:
            form_error(form, error)
        else:
            db.session.commit()
            flash("Post hidden.", "info")
            return redirect(_back(post_url(post)))
    return render_template("moderation/hide_post.html", form=form, post=post, post_href=post_url(post)), 400


@bp.post("/posts/<int:post_id>/unhide")
@login_required
def unhide_post(post_id: int):
    post = _get_or_404(Post, post_id)
    require(current_user, "post.hide", post)
    form = ReasonForm()
    try:
        if not form.validate():
            raise Invalid("Keep the reason short.", field="reason")
        services.unhide_post(current_user, post, form.reason.data or "")
    except DomainError as error:
        db.session.rollback()
        if not _is_form_error(error):
            raise
        flash(error.message, "error")
        return redirect(_back(post_url(post)))
    db.session.commit()
    flash("Post visible again.", "info")
    return redirect(_back(post_url(post)))


# --- topics ------------------------------------------------------------------------

_TOPIC_ACTION_DONE = {
    "lock": "Topic locked.",
    "unlock": "Topic unlocked.",
    "pin": "Topic pinned.",
    "unpin": "Topic unpinned.",
}


@bp.post("/topics/<int:topic_id>/<action>")
@login_required
def topic_action(topic_id: int, action: str):
    if action not in services.TOPIC_ACTIONS:
        abort(404)
    topic = _get_or_404(Topic, topic_id)
    require(current_user, services.TOPIC_ACTIONS[action][0], topic)
    form = ReasonForm()
    try:
        if not form.validate():
            raise Invalid("Keep the reason short.", field="reason")
        services.set_topic_state(current_user, topic, action, form.reason.data or "")
    except DomainError as error:
        db.session.rollback()
        if not _is_form_error(error):
            raise
        flash(error.message, "error")
        return redirect(_back(topic_url(topic)))
    db.session.commit()
    flash(_TOPIC_ACTION_DONE[action], "info")
    return redirect(_back(topic_url(topic)))


@bp.route("/topics/<int:topic_id>/move", methods=["GET", "POST"])
@login_required
def move_topic(topic_id: int):
    topic = _get_or_404(Topic, topic_id)
    require(current_user, "topic.move", topic)
    form = MoveTopicForm()
    categories = db.session.scalars(sa.select(Category).order_by(Category.position, Category.name)).all()
    form.category_id.choices = [SelectChoice(c.id, c.name) for c in categories]
    if request.method == "GET":
        form.category_id.data = topic.category_id
    if form.validate_on_submit():
        try:
            category = db.session.get(Category, form.category_id.data)
            services.move_topic(current_user, topic, category, form.reason.data or "")
        except DomainError as error:
            form_error(form, error)
        else:
            db.session.commit()
            flash("Topic moved.", "info")
            return redirect(topic_url(topic))
    status = form_status()
    return render_template(
        "moderation/move_topic.html", form=form, topic=topic, topic_href=topic_url(topic)
    ), status


# --- users -------------------------------------------------------------------------


@bp.route("/users/<username>/suspend", methods=["GET", "POST"])
@login_required
def suspend_user(username: str):
    user = _user_or_404(username)
    require(current_user, "user.suspend", user)
    form = SuspendForm()
    status = form_status()
    if form.validate_on_submit():
        try:
            services.suspend_user(current_user, user, form.until.data, form.reason.data)
        except DomainError as error:
            if error.status_code == 404:
                db.session.rollback()
                raise
            form_error(form, error, reraise_access=False)
            status = 403 if error.status_code == 403 else 400
        else:
            db.session.commit()
            flash(f"{user.display_name} is suspended until {user.suspended_until:%Y-%m-%d}.", "info")
            return redirect(profile_url(user))
    return render_template(
        "moderation/suspend.html",
        form=form,
        user=user,
        profile_href=profile_url(user),
        unsuspend_form=ReasonForm(),
    ), status


@bp.post("/users/<username>/unsuspend")
@login_required
def unsuspend_user(username: str):
    user = _user_or_404(username)
    require(current_user, "user.suspend", user)
    form = ReasonForm()
    try:
        if not form.validate():
            raise Invalid("Keep the reason short.", field="reason")
        services.unsuspend_user(current_user, user, form.reason.data or "")
    except DomainError as error:
        db.session.rollback()
        if error.status_code == 404:
            raise
        flash(error.message, "error")
        return redirect(url_for("moderation.suspend_user", username=user.username))
    db.session.commit()
    flash(f"{user.display_name} may take part again.", "info")
    return redirect(_back(profile_url(user)))


# --- audit log ---------------------------------------------------------------------


@bp.get("/audit")
@login_required
def audit_log():
    require(current_user, "audit.view")
    action = (request.args.get("action") or "").strip()[:40] or None
    actor = (request.args.get("actor") or "").strip()[:40] or None
    page = page_number(request.args.get("page"))
    result = services.audit_log(current_user, action=action, actor_username=actor, page=page)
    return render_template(
        "moderation/audit.html", result=result, action=action or "", actor=actor or "", can=can
    )
