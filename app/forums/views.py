"""Forum pages."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("forums", __name__)


@bp.get("/")
def latest():
    return render_template("base.html")
