"""Partner-to-partner referrals: /referrals (pages and JSON) and /o/<slug>/referrals.

Views parse input, call one service, commit once; on a ``DomainError`` they roll back
and show the message (form pages) or answer ``{"error": ...}`` (JSON). Referrals other
people may not see answer 404, as if they did not exist. Reading a list or a referral
may expire overdue ones, so GET handlers commit too.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required
from wtforms import SelectChoice

from app.accounts import organizations as org_services
from app.accounts.views import actor
from app.core.errors import DomainError, Invalid, PermissionDenied
from app.core.permissions import can
from app.extensions import db
from app.referrals import checks as referral_input
from app.referrals import lists as referral_lists
from app.referrals import services as referrals
from app.referrals.currencies import CURRENCIES
from app.referrals.forms import DeclineForm, NoteForm, OutcomeForm, ReferralForm
from app.referrals.history import referral_history
from app.referrals.shortlist import SHORTLIST_MAX, propose_shortlist
from app.web import form_error

bp = Blueprint("referrals", __name__)

# URL word → (timeline step, form class, flash message)
STEP_ROUTES: dict[str, tuple[str, type, str]] = {
    "accept": ("accepted", NoteForm, "You accepted the referral. The sender has been told."),
    "decline": ("declined", DeclineForm, "You declined the referral. The sender has been told."),
    "start": ("in_progress", NoteForm, "The referral is now in progress."),
    "win": ("won", OutcomeForm, "Congratulations: the referral is marked as won."),
    "lose": ("lost", OutcomeForm, "The referral is marked as lost."),
    "withdraw": ("withdrawn", NoteForm, "You withdrew the referral. The recipient has been told."),
}
PROPOSAL_FIELDS = {"csrf_token", "specialisms", "customer_region"}
STEP_WORDS = {step: word for word, (step, _form, _flash) in STEP_ROUTES.items()}


def _json_error(error: DomainError):
    db.session.rollback()
    return jsonify(error=error.message, field=error.field), error.status_code


def _template_globals() -> dict:
    return {
        "status_labels": referrals.STATUS_LABELS,
        "event_labels": referrals.EVENT_LABELS,
        "currencies": CURRENCIES,
    }


# --- lists -------------------------------------------------------------------------


@bp.get("/referrals")
@login_required
def index():
    me = actor()
    result = referral_lists.list_referrals(
        me, request.args.get("box") or None, request.args.get("status") or None, request.args.get("page")
    )
    db.session.commit()
    return render_template(
        "referrals/index.html",
        result=result,
        can_send=can(me, "referral.send"),
        own_org=me.organization,
        **_template_globals(),
    )


@bp.get("/referrals.json")
def index_json():
    me = actor()
    try:
        result = referral_lists.list_referrals(
            me, request.args.get("box") or None, request.args.get("status") or None, request.args.get("page")
        )
        items = [referral_lists.referral_as_dict(me, referral) for referral in result.items]
        db.session.commit()
    except DomainError as error:
        return _json_error(error)
    return jsonify(
        items=items,
        box=result.box,
        status=result.status,
        page=result.page,
        pages=result.pages,
        total=result.total,
    )


# --- sending -----------------------------------------------------------------------


def _recipient_choices(me: Any) -> list[SelectChoice]:
    orgs = [org for org in org_services.list_organizations() if org.id != me.organization_id]
    return [SelectChoice("", "Choose an organization…")] + [SelectChoice(org.slug, org.name) for org in orgs]


def _proposals(me: Any, form: ReferralForm) -> list:
    needed = referral_input.specialisms(form.specialisms.data or "")
    region = referral_input.one_line(
        form.customer_region.data, referral_input.REGION_MAX, "the customer's region", "customer_region"
    )
    return propose_shortlist(me, needed, region)


@bp.route("/referrals/new", methods=["GET", "POST"])
@login_required
def new():
    me = actor()
    if not can(me, "referral.send"):
        raise PermissionDenied("Join a partner organization to send referrals.")
    form = ReferralForm()
    form.recipient.choices = _recipient_choices(me)
    proposals = None
    status = 200
    if request.method == "GET":
        form.recipient.data = (request.args.get("to") or "")[:120]
        form.expires_on.data = referral_input.default_expiry()
    else:
        action = request.form.get("action", "send")
        valid = form.validate_on_submit()
        if action == "propose":
            # Proposing needs only the specialisms and the region: the rest may come later.
            if PROPOSAL_FIELDS & set(form.errors):
                status = 400
            else:
                for input_field in form:
                    input_field.errors = []
                try:
                    proposals = _proposals(me, form)
                except DomainError as error:
                    form_error(form, error)
                    status = 400
        elif not valid:
            form.process_expiry_error()
            status = 400
        else:
            shortlist = action == "send_shortlist"
            chosen = form.shortlist.data if shortlist else [form.recipient.data]
            try:
                created = referrals.send_referral(
                    me,
                    [slug for slug in chosen or [] if slug],
                    summary=form.summary.data,
                    details=form.details.data or "",
                    customer_name=form.customer_name.data or "",
                    customer_region=form.customer_region.data or "",
                    customer_industry=form.customer_industry.data or "",
                    specialisms=form.specialisms.data or "",
                    estimated_value=form.estimated_value.data or None,
                    currency=form.currency.data,
                    confidentiality=form.confidentiality.data,
                    expires_on=form.expires_on.data,
                    shortlist=shortlist,
                )
                db.session.commit()
            except DomainError as error:
                form_error(form, error)
                status = 400
                if shortlist:
                    try:
                        proposals = _proposals(me, form)
                    except DomainError:
                        proposals = []
            else:
                if len(created) == 1:
                    flash(f"Referral sent to {created[0].recipient_org.name}.", "success")
                    return redirect(url_for("referrals.show", referral_id=created[0].id))
                flash(
                    f"Referral sent to {len(created)} organizations. The first to accept takes it.", "success"
                )
                return redirect(url_for("referrals.index", box="sent"))
    return render_template(
        "referrals/new.html",
        form=form,
        proposals=proposals,
        chosen=set(form.shortlist.data or []),
        shortlist_max=SHORTLIST_MAX,
    ), status


# --- one referral ------------------------------------------------------------------


def _step_forms(me: Any, referral: Any, failed: dict | None = None) -> dict[str, Any]:
    forms: dict[str, Any] = {}
    for step in referrals.available_steps(me, referral):
        word = STEP_WORDS[step]
        form_class = STEP_ROUTES[word][1]
        forms[word] = (failed or {}).get(word) or form_class(prefix=word, formdata=None)
    return forms


def _render_show(referral: Any, failed: dict | None = None, status: int = 200):
    me = actor()
    forms = _step_forms(me, referral, failed)
    # A refused step whose form is no longer offered (the referral moved on): say why on top.
    problems = [
        message
        for word, form in (failed or {}).items()
        if word not in forms
        for errors in form.errors.values()  # includes form_errors (under None)
        for message in errors
    ]
    return render_template(
        "referrals/show.html",
        referral=referral,
        customer_visible=referrals.customer_visible(me, referral),
        forms=forms,
        problems=problems,
        viewer_side=_side(me, referral),
        **_template_globals(),
    ), status


def _side(me: Any, referral: Any) -> str:
    org_id = getattr(me, "organization_id", None)
    if org_id == referral.sender_org_id:
        return "sender"
    if org_id == referral.recipient_org_id:
        return "recipient"
    return "admin"


@bp.get("/referrals/<int:referral_id>")
def show(referral_id: int):
    referral = referrals.get_referral(actor(), referral_id)
    db.session.commit()
    return _render_show(referral)


@bp.get("/referrals/<int:referral_id>.json")
def show_json(referral_id: int):
    me = actor()
    try:
        referral = referrals.get_referral(me, referral_id)
        data = referral_lists.referral_as_dict(me, referral, with_events=True)
        db.session.commit()
    except DomainError as error:
        return _json_error(error)
    return jsonify(data)


@bp.post("/referrals/<int:referral_id>/<word>")
def act(referral_id: int, word: str):
    if word not in STEP_ROUTES:
        abort(404)
    me = actor()
    referral = referrals.get_referral(me, referral_id)
    step, form_class, message = STEP_ROUTES[word]
    form = form_class(prefix=word)
    if form.validate_on_submit():
        try:
            _take_step(me, referral, step, form)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(message, "success")
            return redirect(url_for("referrals.show", referral_id=referral_id))
    referral = referrals.get_referral(me, referral_id)
    if not form.errors and not form.form_errors:
        form.form_errors.append("That did not work: please check the form.")
    return _render_show(referral, failed={word: form}, status=400)


def _take_step(me: Any, referral: Any, step: str, form: Any) -> None:
    if step == "declined":
        referrals.decline(me, referral, form.reason.data)
    elif step in ("won", "lost"):
        referrals.STEPS[step](me, referral, form.value.data or None, form.note.data or "")
    elif step in referrals.STEPS:
        referrals.STEPS[step](me, referral, form.note.data or "")
    else:  # pragma: no cover - STEP_ROUTES and STEPS list the same steps
        raise Invalid("Unknown step.")


# --- an organization's record ------------------------------------------------------


@bp.get("/o/<slug>/referrals")
def history(slug: str):
    org = org_services.get_organization(slug)
    record = referral_history(actor(), org)
    db.session.commit()
    return render_template("referrals/history.html", history=record, **_template_globals())


@bp.get("/o/<slug>/referrals.json")
def history_json(slug: str):
    try:
        org = org_services.get_organization(slug)
        record = referral_history(actor(), org)
        recent = [referral_lists.referral_as_dict(actor(), referral) for referral in record.recent]
        db.session.commit()
    except DomainError as error:
        return _json_error(error)
    return jsonify(
        organization={"slug": org.slug, "name": org.name},
        sent=record.sent.as_dict(),
        received=record.received.as_dict(),
        recent=recent,
    )
