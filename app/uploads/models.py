"""The ``upload`` table: one row per stored file."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.db import utcnow
from app.extensions import db
from app.forums.models import Post

PURPOSES = ("avatar", "logo", "attachment")

# Who may read an upload. ``public``: avatars and logos, shown beside everything their
# owner writes. ``post``: an attachment readable by whoever may read ``post``.
# ``owner``: an attachment not (yet) in any post, readable by its owner only.
SCOPE_PUBLIC = "public"
SCOPE_POST = "post"
SCOPE_OWNER = "owner"


class Upload(db.Model):
    __tablename__ = "upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    purpose: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    # Sniffed from the bytes; the client's name and Content-Type are never trusted.
    content_type: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    size: Mapped[int] = mapped_column(nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    # Sanitised, with the extension of the sniffed type; used for Content-Disposition.
    filename: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    storage_key: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    scope: Mapped[str] = mapped_column(sa.String(20), nullable=False, default=SCOPE_OWNER)
    # The post an attachment was first used in: its privacy follows that post's.
    post_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("forum_post.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False, index=True)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    post: Mapped[Post | None] = relationship()

    @property
    def is_inline_image(self) -> bool:
        """Raster images the browser may show in the page; everything else downloads."""
        return self.content_type in INLINE_TYPES


INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
