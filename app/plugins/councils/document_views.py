"""The council's document list (blueprint ``council_documents``, under /councils).

Thin: parse the form, call ``documents``, commit once. Refused input re-renders the
form with the service's message (400) and writes nothing; outsiders get the site's
plain 404 from ``NotFound``, exactly as for a council that does not exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required

from app.core.errors import DomainError
from app.extensions import db
from app.plugins.councils import documents, meetings, services
from app.plugins.councils.forms import DocumentForm
from app.plugins.councils.models import Council, CouncilDocument
from app.plugins.councils.view_access import current_actor, reader_council
from app.web import form_error

bp = Blueprint(
    "council_documents",
    __name__,
    url_prefix="/councils",
    template_folder=str(Path(__file__).resolve().parent / "templates"),
)


def _list(council: Council, form: DocumentForm, status: int = 200) -> Any:
    actor = current_actor()
    return render_template(
        "councils/documents/list.html",
        council=council,
        documents=documents.documents(actor, council),
        may_manage=services.may_manage(actor, council),
        form=form,
    ), status


def _show(council: Council, document: CouncilDocument, form: DocumentForm, status: int = 200) -> Any:
    return render_template(
        "councils/documents/show.html",
        council=council,
        document=document,
        may_manage=services.may_manage(current_actor(), council),
        form=form,
    ), status


@bp.get("/<int:council_id>/documents", endpoint="list")
@login_required
def document_list(council_id: int):
    return _list(reader_council(council_id), DocumentForm(formdata=None))


@bp.post("/<int:council_id>/documents", endpoint="add")
@login_required
def add(council_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    meetings.require_chair(actor, council)
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            document = documents.add_document(
                actor, council, form.title.data, url=form.url.data or "", body=form.body.data or ""
            )
            db.session.commit()
            flash(f"“{document.title}” is shared with the council.", "success")
            return redirect(url_for("council_documents.list", council_id=council.id), code=303)
        except DomainError as error:
            form_error(form, error)
    return _list(council, form, 400)


@bp.get("/<int:council_id>/documents/<int:document_id>", endpoint="show")
@login_required
def show(council_id: int, document_id: int):
    council = reader_council(council_id)
    document = documents.document_for(current_actor(), council, document_id)
    form = DocumentForm(formdata=None, obj=document)
    return _show(council, document, form)


@bp.post("/<int:council_id>/documents/<int:document_id>/edit", endpoint="edit")
@login_required
def edit(council_id: int, document_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    document = documents.document_for(actor, council, document_id)
    meetings.require_chair(actor, council)
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            documents.edit_document(
                actor, council, document, form.title.data, url=form.url.data or "", body=form.body.data or ""
            )
            db.session.commit()
            flash("Document updated.", "success")
            return redirect(
                url_for("council_documents.show", council_id=council.id, document_id=document.id), code=303
            )
        except DomainError as error:
            form_error(form, error)
            document = documents.document_for(actor, council, document_id)  # reloaded after the rollback
    return _show(council, document, form, 400)


@bp.post("/<int:council_id>/documents/<int:document_id>/remove", endpoint="remove")
@login_required
def remove(council_id: int, document_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    document = documents.document_for(actor, council, document_id)
    title = document.title
    documents.remove_document(actor, council, document)
    db.session.commit()
    flash(f"“{title}” was removed.", "success")
    return redirect(url_for("council_documents.list", council_id=council.id), code=303)
