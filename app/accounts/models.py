"""Users, partner organizations, invitations and single-use tokens."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import AnonymousUserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, utcnow
from app.core.pagecache import register_viewer_table
from app.extensions import db

PARTNER_TYPES = (
    ("reseller", "Reseller"),
    ("distributor", "Distributor"),
    ("msp", "Managed service provider"),
    ("system-integrator", "System integrator"),
    ("isv", "ISV"),
    ("technology", "Technology partner"),
    ("referral", "Referral partner"),
    ("community-sector", "Community sector"),
)
PARTNER_TYPE_LABELS = dict(PARTNER_TYPES)
TIERS = ("registered", "silver", "gold", "platinum")


def _new_session_token() -> str:
    return secrets.token_urlsafe(16)


class Organization(TimestampMixin, db.Model):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True, nullable=False)
    partner_type: Mapped[str] = mapped_column(sa.String(40), nullable=False, index=True)
    tier: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="registered")
    regions: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    specialisms: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    industries: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    website: Mapped[str | None] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    description_html: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # The current logo (app/uploads); use_alter: ``upload`` itself points back at users.
    logo_upload_id: Mapped[int | None] = mapped_column(
        sa.Integer,
        sa.ForeignKey(
            "upload.id", ondelete="SET NULL", use_alter=True, name="fk_organization_logo_upload_id_upload"
        ),
    )

    # The organization's id in the partner team's CRM (set in the admin area), so
    # exports and the insights plug-in can be joined with partner performance data.
    crm_id: Mapped[str | None] = mapped_column(sa.String(100))
    # Email domains of the organization's staff: a new member at one of them is offered
    # this organization to ask to join (never joined automatically: an admin approves).
    email_domains: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)

    members: Mapped[list[User]] = relationship(back_populates="organization", order_by="User.display_name")

    @property
    def partner_type_label(self) -> str:
        return PARTNER_TYPE_LABELS.get(self.partner_type, self.partner_type)


class User(TimestampMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, nullable=False)
    username: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    # UTS #39 skeleton of the display name: two names with one skeleton look alike.
    display_skeleton: Mapped[str] = mapped_column(sa.String(320), nullable=False, index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="member")
    confirmed_at: Mapped[datetime | None] = mapped_column()
    last_seen_at: Mapped[datetime | None] = mapped_column()
    # Rotated when the password changes: every other session's cookie stops matching.
    session_token: Mapped[str] = mapped_column(sa.String(40), nullable=False, default=_new_session_token)

    bio: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    bio_html: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    job_title: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    region: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="")
    country: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="")
    languages: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    specialisms: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)

    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    is_org_admin: Mapped[bool] = mapped_column(nullable=False, default=False)
    # The current avatar (app/uploads); None shows generated initials instead.
    avatar_upload_id: Mapped[int | None] = mapped_column(
        sa.Integer,
        sa.ForeignKey(
            "upload.id", ondelete="SET NULL", use_alter=True, name="fk_user_account_avatar_upload_id_upload"
        ),
    )

    suspended_until: Mapped[datetime | None] = mapped_column()
    suspended_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # Silenced: may sign in and read, may not post (app/core/permissions.py, moderation).
    silenced_until: Mapped[datetime | None] = mapped_column()
    silenced_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    organization: Mapped[Organization | None] = relationship(back_populates="members")

    # --- Flask-Login -------------------------------------------------------------
    is_authenticated = True
    is_anonymous = False
    # The raw key of the browser session this object was signed in or loaded for
    # (``accounts.sessions``); not a column: one user has a key per browser.
    session_key = None

    @property
    def is_active(self) -> bool:
        return True  # suspended users are refused at login with a reason instead

    def get_id(self) -> str:
        """Flask-Login's "alternative token": what the session and the remember-me
        cookie carry. The browser's key lets sign-out retire this one browser on the
        server; the per-user token lets a suspension end them all at once."""
        if not self.session_key:
            raise RuntimeError("no browser session: sign in through accounts.sessions.open_session()")
        return f"{self.id}:{self.session_token}:{self.session_key}"

    # --- roles -------------------------------------------------------------------
    @property
    def is_staff(self) -> bool:
        return self.role in ("moderator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > utcnow()

    @property
    def is_silenced(self) -> bool:
        return self.silenced_until is not None and self.silenced_until > utcnow()

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Anonymous(AnonymousUserMixin):
    """The actor for visitors who are not signed in."""

    id = None
    role = "anonymous"
    username = None
    display_name = "Guest"
    is_staff = False
    is_admin = False
    is_suspended = False
    is_silenced = False
    organization_id = None
    is_org_admin = False


class AuthToken(db.Model):
    """Single-use, expiring token for email confirmation and password reset.

    Only a SHA-256 of the token is stored, so a leaked database cannot be replayed.
    """

    __tablename__ = "auth_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    used_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class UserSession(db.Model):
    """One signed-in browser: its session and remember-me cookies name this row.

    Signing out deletes the row, so a copy of either cookie stops working; only a
    SHA-256 of the key is stored, as for tokens.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)


# Signing in or out changes only that member's pages (the header), nobody else's.
register_viewer_table("user_session", owner_column="user_id")


class OrganizationInvite(db.Model):
    """An organization admin's invitation for a colleague to join by email."""

    __tablename__ = "organization_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column()

    organization: Mapped[Organization] = relationship()
    invited_by: Mapped[User | None] = relationship()


JOIN_PENDING = "pending"
JOIN_APPROVED = "approved"
JOIN_DECLINED = "declined"


class OrganizationJoinRequest(db.Model):
    """A member's request to join an organization, decided by its admins.

    Why not an invitation: a new employee often knows nobody who could invite them,
    so they ask and the organization's admins (or site admins) approve or decline.
    """

    __tablename__ = "organization_join_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default=JOIN_PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    organization: Mapped[Organization] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
