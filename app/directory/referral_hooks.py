"""Referrals: search principals for organization staff, referral search documents."""

from __future__ import annotations

from typing import Any  # noqa: F401

from app.plugins import hookimpl  # noqa: F401
