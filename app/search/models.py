"""Search tables: the durable retry queue and the PostgreSQL backend's documents.

``search_pending`` is written in the same transaction as the change it describes, so
the intent to re-index survives a crash between the database commit and the index
write; it is drained after commit, on the next request and by ``flask search reindex``.

``search_document`` holds the documents for ``SEARCH_BACKEND=postgres``. The table is
part of the metadata on every dialect (so ``create_all`` and the Alembic revision
create it everywhere), but its ``tsv`` column is ``tsvector`` and its two GIN indexes
exist on PostgreSQL only: the column type is a dialect variant and the indexes use
``ddl_if(dialect="postgresql")``. On SQLite the table simply stays empty.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import utcnow
from app.extensions import db

# tsvector on PostgreSQL; an unused nullable TEXT elsewhere.
TSVECTOR = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")
# text[] on PostgreSQL (GIN-indexed, queried with &&); JSON elsewhere.
PRINCIPALS = sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), "postgresql")
TAGS = sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), "postgresql")


class SearchPending(db.Model):
    """One document (``key``) whose index entry must be rebuilt from the database.

    ``key`` is ``kind:id`` for core documents (``topic:7``, ``post:12``, ``user:3``,
    ``org:2``), ``category:5`` for "every document of this category", or ``doc:…``
    with ``payload`` holding a plug-in's document (``payload`` ``None`` there means
    "remove it").
    """

    __tablename__ = "search_pending"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), nullable=False, index=True)
    payload: Mapped[dict | None] = mapped_column(sa.JSON)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False, index=True)


class SearchDocument(db.Model):
    """A document of the PostgreSQL backend (unused by the Whoosh backend)."""

    __tablename__ = "search_document"
    __table_args__ = (
        sa.Index("ix_search_document_tsv", "tsv", postgresql_using="gin").ddl_if(dialect="postgresql"),
        sa.Index("ix_search_document_principals", "principals", postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False, index=True)
    title: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    body: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    url: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    principals: Mapped[list] = mapped_column(PRINCIPALS, nullable=False)
    category_id: Mapped[int | None] = mapped_column()
    organization_id: Mapped[int | None] = mapped_column()
    author_id: Mapped[int | None] = mapped_column()
    tags: Mapped[list] = mapped_column(TAGS, nullable=False)
    meta: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    tsv: Mapped[str | None] = mapped_column(TSVECTOR)
