"""Account pages: register, confirm, sign in/out, password reset, profiles, organizations."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    abort(404)


@bp.post("/logout")
def logout():
    abort(404)


@bp.route("/register", methods=["GET", "POST"])
def register():
    abort(404)


@bp.get("/u/<username>")
def profile(username: str):
    abort(404)
