"""Moderation pages: flagging, the review queue, actions, suspensions and the audit log.

Views parse input, call one service, commit once, and on a ``DomainError`` roll back
and show the message on the form (400). Missing or private things answer 404 and
staff-only pages answer 403 through the app's error handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from app.accounts.models import User
from app.core.errors import DomainError, Invalid
from app.core.params import page_number
from app.core.permissions import require
from app.extensions import db
from app.forums.models import Category, Post, Topic
from app.moderation import audit_names, members, services
from app.moderation.forms import (
    FlagForm,
    HidePostForm,
    MoveTopicForm,
    ReasonForm,
    ResolveFlagForm,
    SilenceForm,
    SuspendForm,
)
from app.moderation.models import Flag
from app.moderation.queue import queue_in_context
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


def _render_queue(form: ResolveFlagForm, status: int = 200):
    entries = queue_in_context(current_user)
    links = {entry.item.post.id: post_url(entry.item.post) for entry in entries}
    profiles = {entry.item.post.author_id: profile_url(entry.item.post.author) for entry in entries}
    return render_template(
        "moderation/queue.html",
        entries=entries,
        links=links,
        profiles=profiles,
        form=form,
        day_choices=services.SUSPEND_DAY_CHOICES,
        reason_labels=services.FLAG_REASON_LABELS,
    ), status


@bp.get("/queue")
@login_required
def queue():
    return _render_queue(ResolveFlagForm())


@bp.get("/flags/<int:flag_id>/resolve")
@login_required
def resolve_flag_again(flag_id: int):
    """A refreshed or bookmarked outcome URL goes back to the queue (never a 405)."""
    require(current_user, "moderation.review")
    return redirect(url_for("moderation.queue"))


_RESOLVED = {"agreed": "Post hidden.", "dismissed": "Flag dismissed: the post stays."}


@bp.post("/flags/<int:flag_id>/resolve")
@login_required
def resolve_flag(flag_id: int):
    require(current_user, "moderation.review")
    flag = _get_or_404(Flag, flag_id)
    form = ResolveFlagForm()
    try:
        if not form.validate():
            raise Invalid("Choose an outcome from the list.", field="resolution")
        days = int(form.days.data) if form.days.data else None
        author = flag.post.author
        services.resolve_flag(current_user, flag, form.resolution.data, suspend_days=days)
    except DomainError as error:
        db.session.rollback()
        if not _is_form_error(error):
            raise
        flash(error.message, "error")
        return _render_queue(form, 400)
    db.session.commit()
    message = _RESOLVED[form.resolution.data]
    if days:
        message = f"Post hidden and {author.display_name} suspended for {days} day{'s' if days != 1 else ''}."
    flash(message, "info")
    return redirect(url_for("moderation.queue"))


# --- posts -------------------------------------------------------------------------


@bp.route("/posts/<int:post_id>/hide", methods=["GET", "POST"])
@login_required
def hide_post(post_id: int):
    post = _get_or_404(Post, post_id)
    require(current_user, "topic.view", post.topic, hide=True)  # a private space's post: 404
    require(current_user, "post.hide", post)
    form = HidePostForm()
    if request.method == "GET" and post.hidden:
        return redirect(post_url(post))
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


@bp.route("/posts/<int:post_id>/unhide", methods=["GET", "POST"])
@login_required
def unhide_post(post_id: int):
    post = _get_or_404(Post, post_id)
    require(current_user, "topic.view", post.topic, hide=True)  # a private space's post: 404
    require(current_user, "post.hide", post)
    if request.method == "GET":
        return redirect(post_url(post))
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


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
@login_required
def delete_post(post_id: int):
    """Delete as a moderation action (audited); GET asks for an optional reason."""
    post = _get_or_404(Post, post_id)
    require(current_user, "topic.view", post.topic, hide=True)  # a private space's post: 404
    require(current_user, "post.hide", post)
    form = ReasonForm()
    if request.method == "GET" and post.deleted_at is not None:
        return redirect(topic_url(post.topic))  # a refreshed result
    if request.method == "POST" and form.validate():
        try:
            services.delete_post(current_user, post, form.reason.data or "")
        except DomainError as error:
            form_error(form, error)
        else:
            topic = post.topic
            db.session.commit()
            flash("Topic deleted." if post.number == 1 else "Post deleted.", "info")
            return redirect(topic_url(topic))
    return render_template(
        "moderation/delete_post.html", form=form, post=post, post_href=post_url(post)
    ), form_status()


# --- topics ------------------------------------------------------------------------

_TOPIC_ACTION_DONE = {
    "lock": "Topic locked.",
    "unlock": "Topic unlocked.",
    "pin": "Topic pinned.",
    "unpin": "Topic unpinned.",
}


@bp.route("/topics/<int:topic_id>/<action>", methods=["GET", "POST"])
@login_required
def topic_action(topic_id: int, action: str):
    if action not in services.TOPIC_ACTIONS:
        abort(404)
    topic = _get_or_404(Topic, topic_id)
    require(current_user, "topic.view", topic, hide=True)  # a private space's topic: 404
    require(current_user, services.TOPIC_ACTIONS[action][0], topic)
    if request.method == "GET":
        return redirect(topic_url(topic))  # a refreshed result: back to the topic
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
    require(current_user, "topic.view", topic, hide=True)  # a private space's topic: 404
    require(current_user, "topic.move", topic)
    form = MoveTopicForm()
    # Private spaces (a council's forum) are no destination, and their names stay theirs.
    categories = db.session.scalars(
        sa.select(Category).where(Category.space_type.is_(None)).order_by(Category.position, Category.name)
    ).all()
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


def _restrict_page(username: str, kind: str, form: Any, apply: Callable[..., Any]) -> Any:
    """The suspend or silence page (``kind``): a date and a reason; errors stay on the
    form with 400/403, a 404 propagates, success goes back to the profile."""
    user = _user_or_404(username)
    require(current_user, f"user.{kind}", user)
    status = form_status()
    if form.validate_on_submit():
        try:
            apply(current_user, user, form.until.data, form.reason.data)
        except DomainError as error:
            if error.status_code == 404:
                db.session.rollback()
                raise
            form_error(form, error, reraise_access=False)
            status = 403 if error.status_code == 403 else 400
        else:
            db.session.commit()
            past = kind.removesuffix("e") + "ed"  # suspended, silenced
            until = getattr(user, f"{past}_until")
            flash(f"{user.display_name} is {past} until {until:%Y-%m-%d}.", "info")
            return redirect(profile_url(user))
    return render_template(
        f"moderation/{kind}.html",
        form=form,
        user=user,
        profile_href=profile_url(user),
        **{f"un{kind}_form": ReasonForm()},
    ), status


def _lift(username: str, kind: str, apply: Callable[..., Any], done: str) -> Any:
    """Lift a suspension or silence (POST only; GET shows the ``kind`` page)."""
    user = _user_or_404(username)
    require(current_user, f"user.{kind}", user)
    page = url_for(f"moderation.{kind}_user", username=user.username)
    if request.method == "GET":
        return redirect(page)
    form = ReasonForm()
    try:
        if not form.validate():
            raise Invalid("Keep the reason short.", field="reason")
        apply(current_user, user, form.reason.data or "")
    except DomainError as error:
        db.session.rollback()
        if error.status_code == 404:
            raise
        flash(error.message, "error")
        return redirect(page)
    db.session.commit()
    flash(f"{user.display_name} {done}", "info")
    return redirect(_back(profile_url(user)))


@bp.route("/users/<username>/suspend", methods=["GET", "POST"])
@login_required
def suspend_user(username: str):
    return _restrict_page(username, "suspend", SuspendForm(), services.suspend_user)


@bp.route("/users/<username>/unsuspend", methods=["GET", "POST"])
@login_required
def unsuspend_user(username: str):
    return _lift(username, "suspend", services.unsuspend_user, "may take part again.")


@bp.route("/users/<username>/silence", methods=["GET", "POST"])
@login_required
def silence_user(username: str):
    return _restrict_page(username, "silence", SilenceForm(), members.silence_user)


@bp.route("/users/<username>/unsilence", methods=["GET", "POST"])
@login_required
def unsilence_user(username: str):
    return _lift(username, "silence", members.unsilence_user, "may post again.")


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
        "moderation/audit.html",
        result=result,
        targets=audit_names.name_targets(result.entries),
        person=audit_names.person,
        action=action or "",
        actor=actor or "",
    )
