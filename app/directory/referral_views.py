"""Partner-to-partner referrals: /referrals."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("referrals", __name__)
