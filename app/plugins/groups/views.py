"""Group pages (blueprint ``groups``, under /groups). Thin: parse, call a service,
commit once, render. Whoever may not know a group gets the site's plain 404 from
``NotFound``, as for a slug that does not exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.core.errors import DomainError, Invalid, NotFound, PermissionDenied
from app.core.permissions import can, is_admin
from app.extensions import db
from app.forums.services import category_topics
from app.plugins.groups import announcements, auto_rules, dashboard, forum_space, services
from app.plugins.groups.forms import (
    AnnouncementForm,
    GroupForm,
    InviteForm,
    LeaderForm,
    NoteForm,
    RequestForm,
    RuleForm,
)
from app.plugins.groups.models import Group, GroupInvitation, GroupLeader, GroupMembership
from app.web import form_error, form_status

RECENT_TOPICS = 5
bp = Blueprint(
    "groups",
    __name__,
    url_prefix="/groups",
    template_folder=str(Path(__file__).resolve().parent / "templates"),
)


def current_actor() -> Any:
    """The signed-in member (or the anonymous user) as the services take it."""
    return current_user._get_current_object()


def _refused(error: DomainError) -> None:
    """Roll back a refused action; outsiders get the error page, members a message."""
    db.session.rollback()
    if isinstance(error, NotFound | PermissionDenied):
        raise error
    flash(error.message, "error")


@bp.get("/", endpoint="index")
@login_required
def index():
    actor = current_actor()
    mine = services.groups_of(actor)
    near = services.groups_near(actor)
    shown = {g.id for g in mine} | {g.id for g in near}
    return render_template(
        "groups/index.html",
        mine=mine,
        near=near,
        others=[g for g in services.visible_groups(actor) if g.id not in shown],
        invitations=services.my_invitations(actor),
        may_create=is_admin(actor),
    )


@bp.route("/new", methods=["GET", "POST"], endpoint="new")
@login_required
def new():
    actor = current_actor()
    if not is_admin(actor):
        raise NotFound()
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = services.create_group(
                actor,
                form.name.data,
                kind=form.kind.data,
                region=form.region.data or "",
                country=form.country.data or "",
                topic_tags=form.topic_tags.data or "",
                description=form.description.data or "",
                visibility=form.visibility.data,
                join_policy=form.join_policy.data,
                watch_on_join=form.watch_on_join.data,
            )
            if (form.organizer.data or "").strip():
                organizer = services.user_named(form.organizer.data)
                if organizer is None:
                    raise Invalid("No member has that username.", field="organizer")
                try:
                    services.appoint_leader(actor, group, organizer, "organizer")
                except Invalid as error:
                    raise Invalid(error.message, field="organizer") from error
            db.session.commit()
            flash("Group created.", "success")
            return redirect(url_for("groups.show", slug=group.slug))
        except DomainError as error:
            form_error(form, error)
    return render_template("groups/new.html", form=form), form_status()


@bp.get("/admin/leaders", endpoint="review_leaders")
@login_required
def review_leaders():
    actor = current_actor()
    if not is_admin(actor):
        raise NotFound()
    rows = [(row, services.leader_refusal(row.user)) for row in services.ineligible_leaders(actor)]
    return render_template("groups/review_leaders.html", rows=rows)


@bp.route("/<slug>/edit", methods=["GET", "POST"], endpoint="edit")
@login_required
def edit(slug: str):
    actor = current_actor()
    group = services.group_for(actor, slug)
    if not is_admin(actor):
        raise NotFound()
    form = GroupForm(obj=group) if not _is_post() else GroupForm()
    if not _is_post():
        form.topic_tags.data = ", ".join(group.topic_tags or [])
    del form.organizer
    if form.validate_on_submit():
        try:
            services.update_group(
                actor,
                group,
                name=form.name.data,
                kind=form.kind.data,
                region=form.region.data or "",
                country=form.country.data or "",
                topic_tags=form.topic_tags.data or "",
                description=form.description.data or "",
                visibility=form.visibility.data,
                join_policy=form.join_policy.data,
                watch_on_join=form.watch_on_join.data,
            )
            db.session.commit()
            flash("Group settings saved.", "success")
            return redirect(url_for("groups.show", slug=group.slug))
        except DomainError as error:
            form_error(form, error)
    return render_template("groups/edit.html", form=form, group=group), form_status()


def _is_post() -> bool:
    return request.method == "POST"


def _show(
    actor: Any,
    group: Group,
    request_form: RequestForm | None = None,
    announcement_form: AnnouncementForm | None = None,
):
    membership = services.membership_of(actor, group)
    forum = forum_space.forum_of(group)
    invitation = next((i for i in services.my_invitations(actor) if i.group_id == group.id), None)
    # Linked, and its recent topics listed, for those the forum admits.
    readable = forum is not None and can(actor, "category.view", forum)
    return render_template(
        "groups/show.html",
        discussions=category_topics(actor, forum, per_page=RECENT_TOPICS).items if readable else None,
        group=group,
        membership=membership,
        invitation=invitation,
        leaders=services.leaders(group),
        members=services.members(actor, group) if services.may_see_members(actor, group) else None,
        may_manage=services.may_manage(actor, group),
        forum=forum if readable else None,
        request_form=request_form or RequestForm(),
        announcements=announcements.recent(actor, group),
        announcement_form=announcement_form or AnnouncementForm(),
    )


@bp.get("/<slug>", endpoint="show")
@login_required
def show(slug: str):
    actor = current_actor()
    return _show(actor, services.group_for(actor, slug))


@bp.post("/<slug>/join", endpoint="join")
@login_required
def join(slug: str):
    actor = current_actor()
    group = services.group_for(actor, slug)
    try:
        services.join(actor, group)
        db.session.commit()
        flash(f"Welcome to {group.name}.", "success")
    except DomainError as error:
        _refused(error)
    return redirect(url_for("groups.show", slug=group.slug))


@bp.post("/<slug>/request", endpoint="request_to_join")
@login_required
def request_to_join(slug: str):
    actor = current_actor()
    group = services.group_for(actor, slug)
    form = RequestForm()
    if form.validate_on_submit():
        try:
            services.request_to_join(actor, group, form.note.data or "")
            db.session.commit()
            flash("Your request was sent to the group's leaders.", "success")
            return redirect(url_for("groups.show", slug=group.slug))
        except DomainError as error:
            form_error(form, error)
    return _show(actor, group, form), form_status()


@bp.post("/<slug>/leave", endpoint="leave")
@login_required
def leave(slug: str):
    actor = current_actor()
    group = services.group_for(actor, slug)
    try:
        services.leave(actor, group)
        db.session.commit()
        flash(f"You left {group.name}.", "success")
    except DomainError as error:
        _refused(error)
    # A hidden group is gone from view once left.
    if services.may_see(actor, group):
        return redirect(url_for("groups.show", slug=group.slug))
    return redirect(url_for("groups.index"))


@bp.post("/invitations/<int:invitation_id>/<any(accept,decline):answer>", endpoint="answer")
@login_required
def answer(invitation_id: int, answer: str):
    actor = current_actor()
    invitation = db.session.get(GroupInvitation, invitation_id)
    if invitation is None or invitation.user_id != actor.id:
        raise NotFound()
    slug = invitation.group.slug
    try:
        services.answer_invitation(actor, invitation, answer == "accept")
        db.session.commit()
    except DomainError as error:
        _refused(error)
        return redirect(url_for("groups.index"))
    if answer == "accept":
        return redirect(url_for("groups.show", slug=slug))
    flash("Invitation declined.", "success")
    return redirect(url_for("groups.index"))


# --- the leaders' page -------------------------------------------------------------------


def _lead_page(
    actor: Any,
    group: Group,
    invite_form: InviteForm | None = None,
    leader_form: Any = None,
    rule_form: RuleForm | None = None,
):
    services.require_leader(actor, group)
    return render_template(
        "groups/lead.html",
        group=group,
        requests=services.pending_requests(actor, group),
        members=services.members(actor, group),
        banned=services.banned_members(actor, group),
        leaders=services.leaders(group),
        leader_ids={leader.user_id for leader in services.leaders(group)},
        note_form=NoteForm(),
        invite_form=invite_form or InviteForm(),
        leader_form=leader_form or LeaderForm(),
        may_appoint=is_admin(actor) or services.is_organizer(actor, group),
        facts=dashboard.member_facts(actor, group),
        rules=auto_rules.rules_of(actor, group) if is_admin(actor) else None,
        rule_form=rule_form or RuleForm(),
        quiet_days=dashboard.QUIET_DAYS,
    )


@bp.get("/<slug>/lead", endpoint="lead")
@login_required
def lead(slug: str):
    actor = current_actor()
    return _lead_page(actor, services.group_for(actor, slug))


@bp.get("/<slug>/lead/members.csv", endpoint="members_csv")
@login_required
def members_csv(slug: str):
    actor = current_actor()
    group = services.group_for(actor, slug)
    body = dashboard.export_csv(actor, group)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{group.slug}-members.csv"'},
    )


def _membership_in(group: Group, membership_id: int) -> GroupMembership:
    membership = db.session.get(GroupMembership, membership_id)
    if membership is None or membership.group_id != group.id:
        raise NotFound()
    return membership


@bp.post("/<slug>/lead/requests/<int:membership_id>/<any(approve,decline):decision>", endpoint="decide")
@login_required
def decide(slug: str, membership_id: int, decision: str):
    actor = current_actor()
    group = services.group_for(actor, slug)
    services.require_leader(actor, group)
    membership = _membership_in(group, membership_id)
    form = NoteForm()
    form.validate_on_submit()
    name = membership.user.display_name
    try:
        services.decide_request(actor, membership, decision == "approve", form.note.data or "")
        db.session.commit()
        flash(
            f"{name} is now a member." if decision == "approve" else f"{name}'s request declined.", "success"
        )
    except DomainError as error:
        _refused(error)
    return redirect(url_for("groups.lead", slug=group.slug))


@bp.post("/<slug>/lead/members/<int:membership_id>/<any(remove,ban,unban):action>", endpoint="member_action")
@login_required
def member_action(slug: str, membership_id: int, action: str):
    actor = current_actor()
    group = services.group_for(actor, slug)
    services.require_leader(actor, group)
    membership = _membership_in(group, membership_id)
    form = NoteForm()
    form.validate_on_submit()
    name = membership.user.display_name
    try:
        if action == "remove":
            services.remove_member(actor, group, membership)
            message = f"{name} is no longer a member."
        elif action == "ban":
            services.ban(actor, group, membership, form.note.data or "")
            message = f"{name} is banned from the group."
        else:
            services.lift_ban(actor, group, membership)
            message = f"{name}'s ban is lifted."
        db.session.commit()
        flash(message, "success")
    except DomainError as error:
        _refused(error)
    return redirect(url_for("groups.lead", slug=group.slug))


@bp.post("/<slug>/lead/invite", endpoint="invite")
@login_required
def invite(slug: str):
    actor = current_actor()
    group = services.group_for(actor, slug)
    services.require_leader(actor, group)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = services.user_named(form.username.data)
            if user is None:
                raise Invalid("No member has that username.", field="username")
            services.invite(actor, group, user)
            db.session.commit()
            flash(f"{user.display_name} is invited.", "success")
            return redirect(url_for("groups.lead", slug=group.slug))
        except DomainError as error:
            form_error(form, error)
    return _lead_page(actor, group, invite_form=form), form_status()


@bp.post("/<slug>/lead/leaders", endpoint="appoint")
@login_required
def appoint(slug: str):
    actor = current_actor()
    group = services.group_for(actor, slug)
    services.require_leader(actor, group)
    form = LeaderForm()
    if form.validate_on_submit():
        try:
            user = services.user_named(form.username.data)
            if user is None:
                raise Invalid("No member has that username.", field="username")
            try:
                services.appoint_leader(actor, group, user, form.role.data)
            except Invalid as error:
                raise Invalid(error.message, field=error.field and "username") from error
            db.session.commit()
            flash(f"{user.display_name} now helps lead the group.", "success")
            return redirect(url_for("groups.lead", slug=group.slug))
        except DomainError as error:
            form_error(form, error, reraise_access=False)
    return _lead_page(actor, group, leader_form=form), form_status()


@bp.post("/<slug>/lead/leaders/<int:leader_id>/remove", endpoint="remove_leader")
@login_required
def remove_leader(slug: str, leader_id: int):
    actor = current_actor()
    group = services.group_for(actor, slug)
    services.require_leader(actor, group)
    leader = db.session.get(GroupLeader, leader_id)
    if leader is None or leader.group_id != group.id:
        raise NotFound()
    name = leader.user.display_name
    try:
        services.remove_leader(actor, leader)
        db.session.commit()
        flash(f"{name} no longer leads the group (and stays a member).", "success")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(url_for("groups.lead", slug=group.slug))


@bp.post("/<slug>/lead/rules", endpoint="add_rule")
@login_required
def add_rule(slug: str):
    actor = current_actor()
    group = services.group_for(actor, slug)
    if not is_admin(actor):
        raise NotFound()
    form = RuleForm()
    if form.validate_on_submit():
        try:
            _, added = auto_rules.add_rule(actor, group, form.kind.data, form.value.data)
            db.session.commit()
            flash(f"Rule added; {added} member{'' if added == 1 else 's'} added now.", "success")
            return redirect(url_for("groups.lead", slug=group.slug))
        except DomainError as error:
            form_error(form, error)
    return _lead_page(actor, group, rule_form=form), form_status()


@bp.post("/<slug>/lead/rules/<int:rule_id>/remove", endpoint="remove_rule")
@login_required
def remove_rule(slug: str, rule_id: int):
    actor = current_actor()
    group = services.group_for(actor, slug)
    auto_rules.remove_rule(actor, auto_rules.rule_for(actor, group, rule_id))
    db.session.commit()
    flash("Rule removed; the members it added stay.", "success")
    return redirect(url_for("groups.lead", slug=group.slug))


@bp.post("/<slug>/announcements", endpoint="announce")
@login_required
def announce(slug: str):
    actor = current_actor()
    group = services.group_for(actor, slug)
    services.require_leader(actor, group)
    form = AnnouncementForm()
    if form.validate_on_submit():
        try:
            _, told = announcements.post_announcement(actor, group, form.title.data, form.body.data)
            db.session.commit()
            flash(f"Announcement posted; {told} member{'' if told == 1 else 's'} told.", "success")
            return redirect(url_for("groups.show", slug=group.slug))
        except DomainError as error:
            form_error(form, error)
    return _show(actor, group, announcement_form=form), form_status()


@bp.post("/<slug>/announcements/<any(mute,unmute):choice>", endpoint="mute")
@login_required
def mute(slug: str, choice: str):
    actor = current_actor()
    group = services.group_for(actor, slug)
    try:
        announcements.set_muted(actor, group, choice == "mute")
        db.session.commit()
        flash(
            "You will no longer hear of this group's announcements."
            if choice == "mute"
            else "You will hear of this group's announcements again.",
            "success",
        )
    except DomainError as error:
        _refused(error)
    return redirect(url_for("groups.show", slug=group.slug))
