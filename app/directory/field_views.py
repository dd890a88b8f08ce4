"""Admin pages for custom profile fields (``directory.fields.manage``): list, create,
edit, delete and reorder, under ``/admin/directory/fields``."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app.core.errors import DomainError
from app.core.permissions import require
from app.directory import fields as fields_service
from app.directory.forms import ActionForm, FieldForm
from app.directory.views import _actor, bp
from app.extensions import db
from app.web import form_error, form_status


def _definition(form: FieldForm) -> dict:
    return {
        "label": form.label.data or "",
        "choices": form.choices.data or "",
        "help_text": form.help_text.data or "",
        "required": bool(form.required.data),
        "searchable": bool(form.searchable.data),
        "in_directory": bool(form.in_directory.data),
        "visibility": form.visibility.data,
    }


@bp.get("/admin/directory/fields")
def admin_fields():
    require(_actor(), "directory.fields.manage")
    return render_template(
        "directory/admin_fields.html",
        fields=fields_service.list_fields(),
        action_form=ActionForm(),
        kind_labels=fields_service.KIND_LABELS,
        visibility_labels=fields_service.VISIBILITY_LABELS,
    )


@bp.route("/admin/directory/fields/new", methods=["GET", "POST"])
def admin_new_field():
    require(_actor(), "directory.fields.manage")
    form = FieldForm()
    if request.method == "GET":
        form.in_directory.data = True
        form.visibility.data = "members"
    if form.validate_on_submit():
        try:
            field = fields_service.create_field(
                _actor(), key=form.key.data or "", kind=form.kind.data, **_definition(form)
            )
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"The field “{field.label}” has been created.", "success")
            return redirect(url_for("directory.admin_fields"))
    status = form_status()
    return render_template(
        "directory/admin_field_form.html", form=form, field=None, kind_labels=fields_service.KIND_LABELS
    ), status


@bp.route("/admin/directory/fields/<int:field_id>/edit", methods=["GET", "POST"])
def admin_edit_field(field_id: int):
    require(_actor(), "directory.fields.manage")
    field = fields_service.get_field(field_id)
    form = FieldForm()
    if request.method == "GET":
        form.label.data = field.label
        form.choices.data = "\n".join(field.choices or [])
        form.help_text.data = field.help_text
        form.required.data = field.required
        form.searchable.data = field.searchable
        form.in_directory.data = field.in_directory
        form.visibility.data = field.visibility
    form.key.data = field.key
    form.kind.data = field.kind
    if form.validate_on_submit():
        try:
            fields_service.update_field(_actor(), field, **_definition(form))
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"The field “{field.label}” has been saved.", "success")
            return redirect(url_for("directory.admin_fields"))
    status = form_status()
    return render_template(
        "directory/admin_field_form.html", form=form, field=field, kind_labels=fields_service.KIND_LABELS
    ), status


@bp.post("/admin/directory/fields/<int:field_id>/delete")
def admin_delete_field(field_id: int):
    require(_actor(), "directory.fields.manage")
    field = fields_service.get_field(field_id)
    if not ActionForm().validate_on_submit():
        return render_template("errors/error.html", code=400, message="The form has expired; try again."), 400
    label = field.label
    try:
        fields_service.delete_field(_actor(), field)
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    flash(f"The field “{label}” and every member's value for it have been deleted.", "success")
    return redirect(url_for("directory.admin_fields"))


@bp.post("/admin/directory/fields/<int:field_id>/move")
def admin_move_field(field_id: int):
    require(_actor(), "directory.fields.manage")
    field = fields_service.get_field(field_id)
    if not ActionForm().validate_on_submit():
        return render_template("errors/error.html", code=400, message="The form has expired; try again."), 400
    try:
        fields_service.move_field(_actor(), field, request.form.get("direction", ""))
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    return redirect(url_for("directory.admin_fields"))
