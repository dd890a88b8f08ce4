"""Council services: every read and write takes an explicit ``actor`` and checks it.

Privacy is decided here, not in views: ``council_for`` answers ``NotFound`` to anyone
outside the council, exactly as for a council id that does not exist, so pages, JSON,
chat and search built on these functions cannot tell outsiders a council exists.
The boundary (view, command) commits; services only flush.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.core.permissions import is_admin, is_authenticated, is_partner_member
from app.core.sanitize import render_markdown, too_costly
from app.core.textcheck import check_text
from app.extensions import db
from app.forums.models import Post
from app.forums.spaces import ensure_forum_space
from app.notifications.services import notify
from app.plugins import fire
from app.plugins.councils.models import (
    CHAIR_ROLES,
    ROLES,
    RULE_KINDS,
    SCOPES,
    VOTING_ROLES,
    Council,
    CouncilAcceptance,
    CouncilApplication,
    CouncilCharter,
    CouncilMembership,
    CouncilSeatRule,
)

NAME_MAX = 120
CHARTER_MAX = 50_000
STATEMENT_MAX = 4_000
REASON_MAX = 1_000
SCOPE_TYPE = "council"  # chat rooms, forum spaces, search principals and membership events
FORUM_DESCRIPTION = "Private to the council's members: discussion between meetings."
# Notification kinds for joining (declared through the notification_kinds hook).
NOTIFICATION_KINDS = {
    "council_invitation": "An invitation to join an advisory council",
    "council_application": "A partner applied to a council you chair",
    "council_seat": "You were given a seat on an advisory council",
    "council_term_ending": "Your council term ends within 30 days",
}
TERM_ENDING_NOTICE_DAYS = 30


def today() -> date:
    return utcnow().date()


# --- who is in ------------------------------------------------------------------------


def membership_of(user: Any, council: Council) -> CouncilMembership | None:
    if not is_authenticated(user):
        return None
    return db.session.scalar(
        sa.select(CouncilMembership).where(
            CouncilMembership.council_id == council.id, CouncilMembership.user_id == user.id
        )
    )


def is_current(membership: CouncilMembership | None, on: date | None = None) -> bool:
    """An active seat whose term has started and not ended: ``term_end`` is the first
    day without access, so an ended term loses access that day even before the
    expiry job has marked it."""
    if membership is None or membership.status != "active":
        return False
    on = on or today()
    return membership.term_start <= on < membership.term_end


def current_members(council_id: int) -> list[CouncilMembership]:
    on = today()
    rows = db.session.scalars(
        sa.select(CouncilMembership)
        .where(
            CouncilMembership.council_id == council_id,
            CouncilMembership.status == "active",
            CouncilMembership.term_start <= on,
            CouncilMembership.term_end > on,
        )
        .order_by(CouncilMembership.id)
    )
    return list(rows)


def has_accepted_current_charter(user: Any, council: Council) -> bool:
    if council.charter_version == 0:
        return True
    return (
        db.session.scalar(
            sa.select(CouncilAcceptance.id).where(
                CouncilAcceptance.council_id == council.id,
                CouncilAcceptance.user_id == user.id,
                CouncilAcceptance.charter_version == council.charter_version,
            )
        )
        is not None
    )


def may_enter(user: Any, council: Council) -> bool:
    """A current member who accepted the current charter: may read the private space."""
    return is_current(membership_of(user, council)) and has_accepted_current_charter(user, council)


def may_manage(user: Any, council: Council) -> bool:
    """Admins and current chairs/co-chairs manage seats, invitations and the charter."""
    if is_admin(user):
        return True
    membership = membership_of(user, council)
    return is_current(membership) and membership.role in CHAIR_ROLES


def council_for(actor: Any, council_id: int) -> Council:
    """The council, if ``actor`` is a current member or an admin; otherwise the same
    ``NotFound`` a missing id gives (outsiders cannot learn that it exists)."""
    council = db.session.get(Council, council_id)
    if council is None:
        raise NotFound()
    if is_admin(actor) or is_current(membership_of(actor, council)):
        return council
    raise NotFound()


def councils_for(actor: Any) -> list[Council]:
    """Councils ``actor`` sits on (current seats); every council for admins."""
    if is_admin(actor):
        return list(db.session.scalars(sa.select(Council).order_by(Council.name)))
    if not is_authenticated(actor):
        return []
    on = today()
    return list(
        db.session.scalars(
            sa.select(Council)
            .join(CouncilMembership, CouncilMembership.council_id == Council.id)
            .where(
                CouncilMembership.user_id == actor.id,
                CouncilMembership.status == "active",
                CouncilMembership.term_start <= on,
                CouncilMembership.term_end > on,
            )
            .order_by(Council.name)
        )
    )


def open_for_applications(actor: Any) -> list[Council]:
    """Councils whose application window is open today: listed to partner members, who
    may apply (an open call is public on purpose; its content is not)."""
    if not is_partner_member(actor):
        return []
    on = today()
    return list(
        db.session.scalars(
            sa.select(Council)
            .where(Council.applications_open_from <= on, Council.applications_open_until >= on)
            .order_by(Council.name)
        )
    )


def window_open(council: Council, on: date | None = None) -> bool:
    on = on or today()
    start, end = council.applications_open_from, council.applications_open_until
    return start is not None and end is not None and start <= on <= end


def council_open_for(actor: Any, council_id: int) -> Council:
    """A council ``actor`` may apply to now; ``NotFound`` otherwise (as for a missing id)."""
    council = db.session.get(Council, council_id)
    if council is None or not is_partner_member(actor) or not window_open(council):
        raise NotFound()
    return council


# --- councils and charters -------------------------------------------------------------


def _clean_text(value: Any, field: str, limit: int, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if required and not text:
        raise Invalid("This field is required.", field=field)
    if len(text) > limit:
        raise Invalid(f"At most {limit} characters.", field=field)
    try:
        check_text(text)
    except Invalid as error:
        raise Invalid(error.message, field=field) from error
    return text


def _clean_rules(rules: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    cleaned = []
    seen = set()
    for kind, value, max_seats in rules:
        value = (value or "").strip()
        if kind not in RULE_KINDS or not value or len(value) > 80:
            raise Invalid(f"A seat rule needs a kind ({', '.join(RULE_KINDS)}) and a value.", field="rules")
        if not isinstance(max_seats, int) or max_seats < 1:
            raise Invalid("A seat rule allows at least one seat.", field="rules")
        if (kind, value.lower()) in seen:
            raise Invalid(f"Two rules for {kind} “{value}”.", field="rules")
        seen.add((kind, value.lower()))
        cleaned.append((kind, value, max_seats))
    return cleaned


def create_council(
    actor: Any,
    name: str,
    charter: str,
    *,
    scope: str = "global",
    region: str = "",
    seats: int = 12,
    term_months: int = 24,
    rules: list[tuple[str, str, int]] | None = None,
    applications_open_from: date | None = None,
    applications_open_until: date | None = None,
) -> Council:
    """An admin creates a council with its first charter version."""
    if not is_admin(actor):
        raise PermissionDenied()
    name = _clean_text(name, "name", NAME_MAX)
    if scope not in SCOPES:
        raise Invalid("Scope is global or a region.", field="scope")
    region = _clean_text(region, "region", 80, required=scope == "region") if scope == "region" else ""
    if not isinstance(seats, int) or not 1 <= seats <= 200:
        raise Invalid("Seats: a number from 1 to 200.", field="seats")
    if not isinstance(term_months, int) or not 1 <= term_months <= 120:
        raise Invalid("Term: 1 to 120 months.", field="term_months")
    if (applications_open_from is None) != (applications_open_until is None):
        raise Invalid(
            "Give both ends of the application window, or neither.", field="applications_open_until"
        )
    if (
        applications_open_from
        and applications_open_until
        and applications_open_until < applications_open_from
    ):
        raise Invalid("The application window ends before it starts.", field="applications_open_until")
    cleaned_rules = _clean_rules(rules or [])
    if db.session.scalar(sa.select(Council.id).where(sa.func.lower(Council.name) == name.lower())):
        raise Invalid("A council with this name exists.", field="name")
    council = Council(
        name=name,
        scope=scope,
        region=region,
        seats=seats,
        term_months=term_months,
        applications_open_from=applications_open_from,
        applications_open_until=applications_open_until,
    )
    for kind, value, max_seats in cleaned_rules:
        council.seat_rules.append(CouncilSeatRule(kind=kind, value=value, max_seats=max_seats))
    db.session.add(council)
    db.session.flush()
    publish_charter(actor, council, charter)
    # Its private forum category exists from the start (forums' periodic sync would
    # make it within minutes; the chair should not find a missing link meanwhile).
    ensure_forum_space(SCOPE_TYPE, council.id, council.name, FORUM_DESCRIPTION)
    return council


def publish_charter(actor: Any, council: Council, body: str) -> CouncilCharter:
    """A new charter version: every member must accept it again before entering."""
    if not may_manage(actor, council):
        raise NotFound() if not is_current(membership_of(actor, council)) else PermissionDenied()
    body = _clean_text(body, "charter", CHARTER_MAX)
    problem = too_costly(body)
    if problem:
        raise Invalid(problem, field="charter")
    version = council.charter_version + 1
    charter = CouncilCharter(
        council_id=council.id,
        version=version,
        body=body,
        body_html=render_markdown(body),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(charter)
    council.charter_version = version
    db.session.flush()
    return charter


def current_charter(council: Council) -> CouncilCharter | None:
    return db.session.scalar(
        sa.select(CouncilCharter).where(
            CouncilCharter.council_id == council.id, CouncilCharter.version == council.charter_version
        )
    )


def accept_charter(actor: Any, council: Council, version: int) -> CouncilAcceptance:
    """A current member accepts the charter and confidentiality terms; only the
    current version can be accepted (a stale page gets a clear error)."""
    if not is_current(membership_of(actor, council)):
        raise NotFound()
    if version != council.charter_version:
        raise Invalid("That charter version is no longer current: read the current one and accept it.")
    existing = db.session.scalar(
        sa.select(CouncilAcceptance).where(
            CouncilAcceptance.council_id == council.id,
            CouncilAcceptance.user_id == actor.id,
            CouncilAcceptance.charter_version == version,
        )
    )
    if existing is not None:
        return existing
    acceptance = CouncilAcceptance(council_id=council.id, user_id=actor.id, charter_version=version)
    db.session.add(acceptance)
    db.session.flush()
    return acceptance


# --- seats ---------------------------------------------------------------------------------


def _add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError(start)


def _rule_matches(rule: CouncilSeatRule, organization: Any) -> bool:
    if organization is None:
        return False
    if rule.kind == "tier":
        return (organization.tier or "").lower() == rule.value.lower()
    if rule.kind == "type":
        return (organization.partner_type or "").lower() == rule.value.lower()
    return rule.value.lower() in {str(r).lower() for r in (organization.regions or [])}


def seat_rule_refusal(council: Council, user: Any, override_reason: str = "") -> str | None:
    """Which seat rule granting ``user`` a voting seat would break, in words; ``None``
    when none would. Counted over current voting seats other than ``user``'s."""
    organization = user.organization
    seated = [m for m in current_members(council.id) if m.votes and m.user_id != user.id]
    seated_orgs = [m.organization for m in seated if m.organization is not None]
    for rule in council.seat_rules:
        if _rule_matches(rule, organization):
            taken = sum(1 for org in seated_orgs if _rule_matches(rule, org))
            if taken >= rule.max_seats:
                return f"Seat rule: {rule.description}; {taken} already seated."
    if (
        organization is not None
        and not override_reason
        and any(org.id == organization.id for org in seated_orgs)
    ):
        return (
            f"Seat rule: at most one seat per organization; {organization.name} already has one "
            "(an admin may override with a reason)."
        )
    return None


def grant_seat(
    actor: Any,
    council: Council,
    user: Any,
    role: str = "member",
    *,
    term_start: date | None = None,
    override_reason: str = "",
) -> CouncilMembership:
    """Seat ``user`` (chair, co-chair or member) or add a vendor observer.

    A voting seat takes one of ``council.seats`` through a conditional UPDATE, so two
    chairs granting the last seat at once cannot both succeed; the seat rules are
    checked after that UPDATE, while this transaction holds the council row, so the
    rules see every earlier grant."""
    if not may_manage(actor, council):
        raise NotFound() if not is_current(membership_of(actor, council)) else PermissionDenied()
    if role not in ROLES:
        raise Invalid("Role: chair, co-chair, member or vendor observer.", field="role")
    if not isinstance(user, User) or user.is_suspended:
        raise Invalid("Choose an active member of the site.", field="user")
    override_reason = _clean_text(override_reason, "override_reason", REASON_MAX, required=False)
    if override_reason and not is_admin(actor):
        raise PermissionDenied("Only an admin may override a seat rule.")
    if role == "observer" and user.role not in ("admin", "moderator"):
        raise Invalid("Vendor observers are vendor staff (moderators or admins).", field="role")
    existing = membership_of(user, council)
    if is_current(existing):
        raise Conflict(f"{user.display_name} already has a place on this council.")
    start = term_start or today()
    if role in VOTING_ROLES:
        taken = db.session.execute(
            sa.update(Council)
            .where(Council.id == council.id, Council.seats_taken < Council.seats)
            .values(seats_taken=Council.seats_taken + 1)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            raise Conflict(f"No seat left: all {council.seats} seats are taken.")
        db.session.refresh(council)
        refusal = seat_rule_refusal(council, user, override_reason)
        if refusal:
            raise Invalid(refusal)
    membership = existing or CouncilMembership(council_id=council.id, user_id=user.id)
    membership.organization_id = user.organization_id
    membership.role = role
    membership.status = "active"
    membership.term_start = start
    membership.term_end = _add_months(start, council.term_months)
    membership.override_reason = override_reason
    membership.granted_by_id = getattr(actor, "id", None)
    membership.ending_notified = False
    membership.ended_at = None
    db.session.add(membership)
    db.session.flush()
    fire(
        "membership_changed",
        scope_type=SCOPE_TYPE,
        scope_id=council.id,
        user=user,
        actor=actor,
        kind="joined",
    )
    notify(
        user,
        "council_seat",
        f"You have a place on {council.name} ({membership.role_label}): accept its charter to enter.",
        f"/councils/{council.id}",
        actor=actor,
    )
    return membership


def end_membership(actor: Any, membership: CouncilMembership, status: str = "removed") -> None:
    """Remove a member (chair/admin) or end a term (``actor`` None: the expiry job)."""
    council = membership.council
    if actor is not None and not may_manage(actor, council):
        raise NotFound() if not is_current(membership_of(actor, council)) else PermissionDenied()
    if membership.status != "active":
        raise Conflict("This place has already ended.")
    if membership.votes:
        db.session.execute(
            sa.update(Council)
            .where(Council.id == council.id, Council.seats_taken > 0)
            .values(seats_taken=Council.seats_taken - 1)
            .execution_options(synchronize_session=False)
        )
    membership.status = status
    membership.ended_at = utcnow()
    db.session.flush()
    db.session.refresh(council)
    kind = "expired" if status == "ended" else "removed"
    fire(
        "membership_changed",
        scope_type=SCOPE_TYPE,
        scope_id=council.id,
        user=membership.user,
        actor=actor,
        kind=kind,
    )


def expire_terms(on: date | None = None) -> list[CouncilMembership]:
    """End every active place whose term is over (the periodic job and
    ``flask councils expire-terms``). Idempotent."""
    on = on or today()
    ended = list(
        db.session.scalars(
            sa.select(CouncilMembership).where(
                CouncilMembership.status == "active", CouncilMembership.term_end <= on
            )
        )
    )
    for membership in ended:
        end_membership(None, membership, status="ended")
    notify_ending_terms(on)
    return ended


def notify_ending_terms(on: date | None = None) -> int:
    """Tell each member whose term ends within ``TERM_ENDING_NOTICE_DAYS`` (once per
    term: a re-granted seat starts a new term and is told again)."""
    sent = 0
    for membership in terms_ending_soon(on, TERM_ENDING_NOTICE_DAYS):
        notify(
            membership.user,
            "council_term_ending",
            f"Your place on {membership.council.name} ends on {membership.term_end:%d %B %Y}.",
            f"/councils/{membership.council_id}",
        )
        membership.ending_notified = True
        sent += 1
    db.session.flush()
    return sent


def terms_ending_soon(on: date | None = None, days: int = 30) -> list[CouncilMembership]:
    """Active places whose term ends within ``days`` and whose member was not yet told."""
    on = on or today()
    return list(
        db.session.scalars(
            sa.select(CouncilMembership).where(
                CouncilMembership.status == "active",
                CouncilMembership.ending_notified.is_(False),
                CouncilMembership.term_end <= on + timedelta(days=days),
                CouncilMembership.term_end > on,
            )
        )
    )


# --- applications and invitations ----------------------------------------------------


def apply(actor: Any, council: Council, statement: str) -> CouncilApplication:
    """A partner member applies in the window, with a statement."""
    if not is_partner_member(actor) or not window_open(council):
        raise Invalid("Applications to this council are not open.")
    statement = _clean_text(statement, "statement", STATEMENT_MAX)
    if is_current(membership_of(actor, council)):
        raise Conflict("You already have a place on this council.")
    pending = db.session.scalar(
        sa.select(CouncilApplication.id).where(
            CouncilApplication.council_id == council.id,
            CouncilApplication.user_id == actor.id,
            CouncilApplication.status == "pending",
        )
    )
    if pending is not None:
        raise Conflict("You have already applied; the chair will answer.")
    application = CouncilApplication(
        council_id=council.id,
        user_id=actor.id,
        kind="application",
        statement=statement,
        created_by_id=actor.id,
    )
    db.session.add(application)
    db.session.flush()
    for chair in current_members(council.id):
        if chair.role in CHAIR_ROLES and has_accepted_current_charter(chair.user, council):
            notify(
                chair.user,
                "council_application",
                f"{actor.display_name} applied to {council.name}.",
                f"/councils/{council.id}/applications",
                actor=actor,
            )
    return application


def invite(actor: Any, council: Council, user: Any, role: str = "member") -> CouncilApplication:
    """A chair or admin invites a member; the seat is granted when they accept."""
    if not may_manage(actor, council):
        raise NotFound() if not is_current(membership_of(actor, council)) else PermissionDenied()
    if role not in ROLES:
        raise Invalid("Role: chair, co-chair, member or vendor observer.", field="role")
    if not isinstance(user, User):
        raise Invalid("No such member.", field="user")
    if is_current(membership_of(user, council)):
        raise Conflict(f"{user.display_name} already has a place on this council.")
    invitation = CouncilApplication(
        council_id=council.id, user_id=user.id, kind="invitation", role=role, created_by_id=actor.id
    )
    db.session.add(invitation)
    db.session.flush()
    notify(user, "council_invitation", f"You are invited to join {council.name}.", "/councils/", actor=actor)
    return invitation


def pending_applications(actor: Any, council: Council) -> list[CouncilApplication]:
    if not may_manage(actor, council):
        raise NotFound() if not is_current(membership_of(actor, council)) else PermissionDenied()
    return list(
        db.session.scalars(
            sa.select(CouncilApplication)
            .where(CouncilApplication.council_id == council.id, CouncilApplication.status == "pending")
            .order_by(CouncilApplication.id)
        )
    )


def my_invitations(actor: Any) -> list[CouncilApplication]:
    if not is_authenticated(actor):
        return []
    return list(
        db.session.scalars(
            sa.select(CouncilApplication).where(
                CouncilApplication.user_id == actor.id,
                CouncilApplication.kind == "invitation",
                CouncilApplication.status == "pending",
            )
        )
    )


def decide_application(
    actor: Any, application: CouncilApplication, grant: bool, note: str = "", override_reason: str = ""
) -> CouncilApplication:
    """A chair grants (seat rules apply) or declines an application."""
    council = application.council
    if not may_manage(actor, council):
        raise NotFound() if not is_current(membership_of(actor, council)) else PermissionDenied()
    if application.status != "pending" or application.kind != "application":
        raise Conflict("This application has already been answered.")
    note = _clean_text(note, "note", REASON_MAX, required=False)
    if grant:
        grant_seat(actor, council, application.user, application.role, override_reason=override_reason)
    application.status = "granted" if grant else "declined"
    application.decided_by_id = actor.id
    application.decided_at = utcnow()
    application.decision_note = note
    db.session.flush()
    return application


def answer_invitation(actor: Any, invitation: CouncilApplication, accept: bool) -> CouncilApplication:
    """The invitee accepts (the seat is granted on the inviter's authority, seat rules
    apply) or declines."""
    if not is_authenticated(actor) or invitation.user_id != actor.id or invitation.kind != "invitation":
        raise NotFound()
    if invitation.status != "pending":
        raise Conflict("This invitation has already been answered.")
    if accept:
        inviter = db.session.get(User, invitation.created_by_id) if invitation.created_by_id else None
        if inviter is None or not may_manage(inviter, invitation.council):
            raise Conflict("The invitation lapsed: whoever sent it no longer manages this council.")
        grant_seat(inviter, invitation.council, actor, invitation.role)
    invitation.status = "granted" if accept else "declined"
    invitation.decided_by_id = actor.id
    invitation.decided_at = utcnow()
    db.session.flush()
    return invitation


def applicant_profile(application: CouncilApplication) -> dict:
    """What a chair weighs: the applicant's organization tier, type, regions,
    specialisms, and community activity (posts written)."""
    user = application.user
    org = user.organization
    posts = db.session.scalar(
        sa.select(sa.func.count(Post.id)).where(Post.author_id == user.id, Post.deleted_at.is_(None))
    )
    return {
        "organization": org.name if org else "",
        "tier": org.tier if org else "",
        "type": org.partner_type_label if org else "",
        "regions": list(org.regions or []) if org else [],
        "specialisms": list(org.specialisms or []) if org else list(user.specialisms or []),
        "posts": int(posts or 0),
        "member_since": user.created_at,
    }


def members(actor: Any, council: Council) -> list[CouncilMembership]:
    if not (is_admin(actor) or may_enter(actor, council)):
        raise NotFound()
    return current_members(council.id)
