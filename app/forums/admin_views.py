"""Admin pages for forum categories: list, create, edit (``category.manage``)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from app.core.errors import DomainError, NotFound
from app.core.permissions import can, require
from app.extensions import db
from app.forums import services
from app.forums.forms import CategoryForm
from app.forums.models import Category
from app.forums.views import _actor, bp
from app.web import form_error, form_status

# --- admin -------------------------------------------------------------------------


@bp.get("/admin/categories")
def admin_categories():
    actor = _actor()
    require(actor, "category.manage")
    # A plug-in's private space is listed only to admins it admits (its name and
    # existence are the space's business); the rest are counted, without names, so an
    # admin knows why a slug may be taken and where those categories come from.
    everything = services.all_categories()
    shown = [c for c in everything if not c.is_space or can(actor, "category.view", c)]
    return render_template(
        "forums/admin_categories.html", categories=shown, hidden_spaces=len(everything) - len(shown)
    )


def _category_form(form: CategoryForm, category: Category | None) -> CategoryForm:
    form.parent.choices = [SelectChoice(0, "— None (top level) —")] + [
        SelectChoice(c.id, c.name)
        for c in services.all_categories()
        if c.parent_id is None and not c.is_space and (category is None or c.id != category.id)
    ]
    return form


def _save_category(form: CategoryForm, category: Category | None):
    actor = _actor()
    parent = db.session.get(Category, form.parent.data) if form.parent.data else None
    values = {
        "name": form.name.data,
        "slug": form.slug.data,
        "description": form.description.data or "",
        "parent": parent,
        "position": form.position.data or 0,
        "view_policy": form.view_policy.data,
        "topic_policy": form.topic_policy.data,
        "reply_policy": form.reply_policy.data,
    }
    if category is None:
        return services.create_category(actor, **values)
    return services.update_category(actor, category, **values)


@bp.route("/admin/categories/new", methods=["GET", "POST"])
def admin_new_category():
    require(_actor(), "category.manage")
    form = _category_form(CategoryForm(), None)
    if form.validate_on_submit():
        try:
            _save_category(form, None)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Category created.", "info")
            return redirect(url_for("forums.admin_categories"))
    status = form_status()
    return render_template("forums/admin_category_form.html", form=form, category=None), status


@bp.route("/admin/categories/<int:category_id>/edit", methods=["GET", "POST"])
def admin_edit_category(category_id: int):
    require(_actor(), "category.manage")
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound("No such category.")
    require(_actor(), "category.view", category, hide=True)  # a space's outsiders: 404
    form = _category_form(CategoryForm(obj=category if request.method == "GET" else None), category)
    if request.method == "GET":
        form.parent.data = category.parent_id or 0
        if category.is_space:  # say so before the admin types (saving refuses too)
            form.form_errors.append(services.space_locked_message(category))
    if form.validate_on_submit():
        try:
            _save_category(form, category)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Category saved.", "info")
            return redirect(url_for("forums.admin_categories"))
    status = form_status()
    return render_template("forums/admin_category_form.html", form=form, category=category), status
