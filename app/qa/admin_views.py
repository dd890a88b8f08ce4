"""Q&A administration: points and thresholds, and which categories are Q&A."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from wtforms import SelectChoice

from app.core.errors import DomainError
from app.core.permissions import require
from app.extensions import db
from app.forums.categories import all_categories
from app.qa.categories import qa_category_ids, qa_settings_for, set_qa_category
from app.qa.forms import QACategoryForm, settings_form_class
from app.qa.settings import POINTS, THRESHOLDS, all_settings, update_settings
from app.qa.views import _actor, bp
from app.web import form_error, form_status


@bp.route("/admin/settings", methods=["GET", "POST"])
@login_required
def admin_settings():
    actor = _actor()
    require(actor, "category.manage")
    form = settings_form_class()()
    if request.method == "GET":
        for key, value in all_settings().items():
            getattr(form, key).data = value
    if form.validate_on_submit():
        try:
            keys = [key for key, _, _ in (*POINTS, *THRESHOLDS)]
            update_settings(actor, {key: getattr(form, key).data for key in keys})
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Q&A settings saved.", "info")
            return redirect(url_for("qa.admin_settings"))
    status = form_status()
    return render_template(
        "qa/admin_settings.html",
        form=form,
        points=[k for k, _, _ in POINTS],
        thresholds=[k for k, _, _ in THRESHOLDS],
    ), status


@bp.route("/admin/categories", methods=["GET", "POST"])
@login_required
def admin_categories():
    actor = _actor()
    require(actor, "category.manage")
    categories = all_categories()
    form = QACategoryForm()
    form.category.choices = [SelectChoice(c.id, c.full_name) for c in categories]
    if form.validate_on_submit():
        category = next(c for c in categories if c.id == form.category.data)
        try:
            set_qa_category(actor, category, form.enabled.data, form.multiple_accepted.data)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"Saved the Q&A setting of “{category.name}”.", "info")
            return redirect(url_for("qa.admin_categories"))
    enabled = qa_category_ids()
    rows = [(c, qa_settings_for(c.id)) for c in categories if c.id in enabled]
    status = form_status()
    return render_template("qa/admin_categories.html", form=form, rows=rows), status
