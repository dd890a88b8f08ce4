"""The directory pages: /directory, its JSON and CSV, the expert finder, directory settings, custom fields admin.

The listing, JSON and CSV share one parser and one query (``listing_query``,
``listing``), so a URL means the same thing in all three. A query the parser refuses
answers 400 with its message (as JSON for ``/directory.json``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.core.errors import DomainError, Invalid
from app.core.permissions import can, require
from app.directory import expertise, export, listing, profiles, suggest
from app.directory import fields as fields_service
from app.directory.forms import settings_form_class
from app.directory.listing_query import (
    FACET_LABELS,
    ORG_FACETS,
    SORT_LABELS,
    SORTS,
    DirectoryQuery,
    parse_query,
)
from app.directory.models import HIDEABLE_FIELDS
from app.directory.serialize import page_json
from app.extensions import db
from app.web import form_error, form_status

bp = Blueprint("directory", __name__)


def _actor() -> Any:
    return current_user._get_current_object()


def _refused(message: str) -> tuple[str, int]:
    return render_template("directory/error.html", message=message), 400


def tab_query(query: DirectoryQuery, show: str) -> str:
    """The other tab's link keeps the search and the filters both tabs share."""
    if show == query.show:
        return query.query_string()
    filters = {name: values for name, values in query.filters.items() if name in ORG_FACETS}
    target = DirectoryQuery(show=show, q=query.q, sort=query.sort, per_page=query.per_page, filters=filters)
    return target.query_string()


@bp.get("/directory")
def index():
    reader = _actor()
    try:
        query = parse_query(reader, request.args)
        page = listing.browse(reader, query)
    except Invalid as error:
        return _refused(error.message)
    return render_template(
        "directory/index.html",
        page=page,
        query=page.query,
        sorts=SORTS,
        sort_labels=SORT_LABELS,
        facet_labels=FACET_LABELS,
        tab_query=tab_query,
        can_export=can(reader, "directory.export"),
        can_manage_fields=can(reader, "directory.fields.manage"),
    )


@bp.get("/directory.json")
def index_json():
    reader = _actor()
    try:
        query = parse_query(reader, request.args)
        page = listing.browse(reader, query)
    except Invalid as error:
        return jsonify(error=error.message, field=error.field), 400
    return jsonify(page_json(page))


@bp.get("/directory/suggest.json")
def suggest_members():
    """The editor's @mention autocomplete: listed members by name prefix (JSON)."""
    try:
        found = suggest.suggest_members(_actor(), request.args.get("q", "")[:80])
    except DomainError as error:
        return jsonify(error=error.message), error.status_code
    return jsonify(members=[{"username": u.username, "display_name": u.display_name} for u in found])


@bp.get("/directory/export.csv")
def export_csv():
    reader = _actor()
    require(reader, "directory.export")
    try:
        query = parse_query(reader, request.args)
    except Invalid as error:
        return _refused(error.message)
    if query.show != "people":
        return _refused("The export lists people: remove show=orgs.")
    body = export.export_csv(reader, query)
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="directory.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/directory/experts")
def experts():
    reader = _actor()
    tag_arg = (request.args.get("tag") or "").strip()
    specialism_arg = (request.args.get("specialism") or "").strip()
    unknown = [name for name in request.args if name not in ("tag", "specialism")]
    if unknown:
        return _refused("The expert finder takes a tag or a specialism.")
    if tag_arg and specialism_arg:
        return _refused("Look for experts on a tag or on a specialism, not both.")
    tag = subject = None
    results: list[expertise.Expert] = []
    try:
        if tag_arg:
            tag, results = expertise.experts_for_tag(reader, tag_arg)
            subject = tag.name
        elif specialism_arg:
            subject, results = expertise.experts_for_specialism(reader, specialism_arg)
    except Invalid as error:
        return _refused(error.message)
    return render_template(
        "directory/experts.html",
        tag=tag,
        subject=subject,
        results=results,
        tag_arg=tag_arg[:30],
        specialism_arg=specialism_arg[:60],
    )


# --- a member's directory settings ------------------------------------------------------


@bp.route("/settings/directory", methods=["GET", "POST"])
@login_required
def settings():
    user = _actor()
    defined = fields_service.list_fields()
    form = settings_form_class(defined)()
    if request.method == "GET":
        snapshot = profiles.settings_snapshot(user)
        form.hidden.data = snapshot["hidden"]
        form.hidden_fields.data = snapshot["hidden_fields"]
        form.certifications.data = ", ".join(snapshot["certifications"])
        form.industries.data = ", ".join(snapshot["industries"])
        for custom in defined:
            getattr(form, f"cf_{custom.key}").data = snapshot["values"].get(custom.key)
            getattr(form, f"hide_{custom.key}").data = custom.key in snapshot["hidden_values"]
    if form.validate_on_submit():
        try:
            profiles.update_directory_settings(
                user,
                user,
                hidden=form.hidden.data,
                hidden_fields=form.hidden_fields.data or [],
                certifications=form.certifications.data or "",
                industries=form.industries.data or "",
                values={custom.key: getattr(form, f"cf_{custom.key}").data for custom in defined},
                hidden_values=[custom.key for custom in defined if getattr(form, f"hide_{custom.key}").data],
            )
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Your directory settings have been saved.", "success")
            return redirect(url_for("directory.settings"))
    status = form_status()
    return render_template(
        "directory/settings.html", form=form, fields=defined, hideable=HIDEABLE_FIELDS
    ), status


from app.directory import field_views  # noqa: E402,F401 - registers the custom-field admin routes on ``bp``
