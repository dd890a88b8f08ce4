"""Directory tables: custom profile fields, directory preferences and facets.

Everything a member can hide lives here rather than on ``user_account``, so the
directory's privacy rules sit beside the data they protect. The network's tables
live in ``app/network/models.py``, referrals' in ``app/referrals/models.py``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.db import utcnow
from app.extensions import db

FIELD_KINDS = ("text", "choice", "multi", "url")
FIELD_VISIBILITIES = ("everyone", "members", "staff")

# Built-in profile fields a member may hide from the directory, search and export.
HIDEABLE_FIELDS = (
    "job_title",
    "region",
    "country",
    "languages",
    "specialisms",
    "certifications",
    "industries",
)


class ProfileField(db.Model):
    """An admin-defined profile field (text, single choice, multiple choice, URL)."""

    __tablename__ = "directory_field"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    label: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="text")
    choices: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    help_text: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    required: Mapped[bool] = mapped_column(nullable=False, default=False)
    searchable: Mapped[bool] = mapped_column(nullable=False, default=False)
    in_directory: Mapped[bool] = mapped_column(nullable=False, default=True)
    visibility: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="members")
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class ProfileFieldValue(db.Model):
    """One member's value for one custom field; a list for multiple choice."""

    __tablename__ = "directory_field_value"
    __table_args__ = (sa.UniqueConstraint("user_id", "field_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    field_id: Mapped[int] = mapped_column(
        sa.ForeignKey("directory_field.id", ondelete="CASCADE"), nullable=False, index=True
    )
    value: Mapped[str | list] = mapped_column(sa.JSON, nullable=False)
    # The member's own choice to keep this value off the directory, search and export.
    hidden: Mapped[bool] = mapped_column(nullable=False, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)

    field: Mapped[ProfileField] = relationship()


class DirectoryProfile(db.Model):
    """A member's directory settings and the directory-only facts about them."""

    __tablename__ = "directory_profile"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    hidden: Mapped[bool] = mapped_column(nullable=False, default=False)
    # Names from HIDEABLE_FIELDS the member keeps out of the directory, search and export.
    hidden_fields: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    certifications: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    industries: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)

    user: Mapped[User] = relationship()


class DirectoryFacet(db.Model):
    """One filterable fact about a listed member or organization, for SQL facet counts.

    Derived data, rewritten whenever a profile, organization or field changes and
    rebuildable from the tables above. A hidden member or a hidden field has no rows;
    ``visibility`` carries the field's audience so counts never include what the
    reader may not see.
    """

    __tablename__ = "directory_facet"
    __table_args__ = (
        sa.Index("ix_directory_facet_lookup", "subject_type", "facet", "value"),
        sa.Index("ix_directory_facet_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # "user" or "org"
    subject_id: Mapped[int] = mapped_column(nullable=False)
    facet: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    value: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    visibility: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="everyone")
