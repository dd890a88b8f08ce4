"""The PostgreSQL search backend's schema: tsvector column and GIN indexes exist on
PostgreSQL (the same metadata creates a plain table on SQLite)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa


@pytest.fixture
def pg_app(postgres_url, app):
    if app.extensions["sqlalchemy"].engines[None].dialect.name != "postgresql":
        pytest.skip("the app fixture is on SQLite")
    return app


@pytest.mark.app_config(SEARCH_BACKEND="postgres")
def test_search_document_has_tsvector_and_gin_indexes(pg_app, db):
    from app.search.backend import get_backend

    get_backend(pg_app).ensure_schema()  # idempotent next to create_all
    column_type = db.session.scalar(
        sa.text(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'search_document' AND column_name = 'tsv'"
        )
    )
    assert column_type == "tsvector"
    indexes = dict(
        db.session.execute(
            sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_document'")
        ).all()
    )
    assert "USING gin (tsv)" in indexes["ix_search_document_tsv"]
    assert "USING gin (principals)" in indexes["ix_search_document_principals"]


@pytest.mark.app_config(SEARCH_BACKEND="postgres")
def test_ranked_search_with_headline_on_postgres(pg_app, db):
    from app.search import rebuild, services
    from tests.factories import make_category, make_topic, make_user

    author = make_user()
    category = make_category()
    make_topic(author=author, category=category, title="Rebate tiers", body="rebate rebate rebate")
    make_topic(author=author, category=category, title="Other", body="one rebate mention")
    db.session.commit()
    rebuild.reindex(pg_app)
    result = services.search(author, "rebate")
    assert result.total == 2 and result.hits[0].title == "Rebate tiers"
    assert "<mark>" in result.hits[0].snippet


@pytest.mark.app_config(SEARCH_BACKEND="postgres")
def test_writes_leave_no_pending_gin_entries(pg_app, db):
    """Every search scans GIN's pending list in full: writers merge it as they go."""
    from datetime import datetime

    from app.search.backend import get_backend
    from app.search.documents import Document

    backend = get_backend(pg_app)
    backend.ensure_schema()
    with backend.writer() as writer:
        for n in range(1, 20):
            writer.upsert(
                Document(
                    key=f"question:{n}",
                    kind="question",
                    title=f"Question {n}",
                    body=f"needle body {n}",
                    url=f"/q/{n}",
                    principals=["public"],
                    created_at=datetime(2024, 1, n),
                )
            )
    pending = db.session.scalar(sa.text("SELECT gin_clean_pending_list('ix_search_document_tsv'::regclass)"))
    assert pending == 0


@pytest.mark.app_config(SEARCH_BACKEND="postgres")
def test_a_rebuild_vacuums_the_table_once_committed(pg_app, db):
    """A rebuild deletes and rewrites every row: it VACUUMs once committed, so searches
    do not visit the dead copies and the new rows need no commit-log lookups. VACUUM
    records that every page is all-visible in pg_class, at once (statistics views lag)."""
    from app.search import rebuild
    from tests.factories import make_category, make_topic, make_user

    author, category = make_user(), make_category()
    for n in range(40):
        make_topic(author=author, category=category, title=f"Topic {n}", body="vacuumed " * 50)
    db.session.commit()
    rebuild.reindex(pg_app)
    rebuild.reindex(pg_app)  # the second one leaves the first one's rows dead
    db.session.rollback()
    pages, visible = db.session.execute(
        sa.text("SELECT relpages, relallvisible FROM pg_class WHERE relname = 'search_document'")
    ).one()
    assert pages > 0 and visible == pages


@pytest.mark.app_config(SEARCH_BACKEND="postgres", SEARCH_LOCK_TIMEOUT=0.2)
def test_a_drain_waits_for_a_running_rebuild_only_as_long_as_the_lock_timeout(pg_app, db):
    """Waiting for the index lock holds a pooled connection. While a rebuild holds the
    lock for minutes, a posting request's drain gives up after SEARCH_LOCK_TIMEOUT:
    the post is stored, its queue row kept for the retry, its connection returned."""
    from app.forums import services as forums
    from app.search import services
    from app.search.backend import get_backend
    from app.search.indexing import drain
    from app.search.models import SearchPending
    from app.search.postgres_backend import LOCK_KEY
    from tests.factories import make_category, make_user

    get_backend(pg_app).ensure_schema()
    author, category = make_user(), make_category()
    db.session.commit()
    rebuilding = db.engine.connect()  # holds the writers' lock, as a rebuild does
    rebuilding.begin()
    rebuilding.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    try:
        topic = forums.create_topic(author, category, "During a rebuild", "The okapiword plan")
        db.session.commit()  # its drain times out on the lock
        row = db.session.scalar(sa.select(SearchPending))
        assert row.key == f"topic:{topic.id}" and row.attempts == 1 and "lock" in row.last_error.lower()
        assert db.engine.pool.checkedout() == 2  # the "rebuild" and this session: the drain's went back
    finally:
        rebuilding.rollback()
        rebuilding.close()
    db.session.commit()
    assert drain(pg_app, force=True).indexed == 1
    assert services.search(author, "okapiword").total == 1
