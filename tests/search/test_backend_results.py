"""Both backends count facets the same way from their single pass over the matches
(Whoosh: document sets; PostgreSQL: one statement with grouping sets), stay right when
the statement is prepared and planned generically (the PostgreSQL index's pending list
is checked in tests/services/test_search_postgres.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.search.backend import get_backend
from app.search.documents import Document
from app.search.querying import Filters, parse_user_query


def _write(app, docs: list[Document]) -> None:
    with get_backend(app).writer() as writer:
        for doc in docs:
            writer.upsert(doc)


def _doc(n: int, **fields) -> Document:
    values = {
        "key": f"question:{n}",
        "kind": "question",
        "title": f"Question {n}",
        "body": f"needle body {n}",
        "url": f"/q/{n}",
        "principals": ["public"],
        "created_at": datetime(2024, 1, 1) + timedelta(days=n),
    }
    values.update(fields)
    return Document(**values)


def test_facets_leave_out_missing_values_and_count_every_tag(app, db):
    _write(
        app,
        [
            _doc(1, category_id=5, organization_id=9, tags=["saml", "sso"]),
            _doc(2, category_id=5, tags=["saml"]),
            _doc(3),
            _doc(4, category_id=6, principals=["council:1"], tags=["secret"]),  # not readable
        ],
    )
    result = get_backend(app).search(
        parse_user_query("needle"), ["public"], Filters(kinds=["question"]), 1, 50, "relevance"
    )
    assert result.total == 3
    assert result.facets == {
        "kind": {"question": 3},
        "category": {"5": 2},
        "organization": {"9": 1},
        "tag": {"saml": 2, "sso": 1},
    }


def test_repeated_searches_stay_right_once_the_statement_is_prepared(app, db):
    """psycopg prepares a statement after 5 runs and PostgreSQL plans it generically
    after 5 more; the Whoosh backend serves repeats from its cached sets."""
    _write(app, [_doc(n, body=f"needle {'common ' * (n % 3)}word{n % 4}") for n in range(1, 30)])
    backend = get_backend(app)
    first = None
    for _ in range(14):
        result = backend.search(parse_user_query("needle common"), ["public"], Filters(), 1, 5, "relevance")
        page = (result.total, [h.key for h in result.hits], result.facets["kind"])
        first = first or page
        assert page == first
    assert first[0] == 20 and len(first[1]) == 5


def test_organization_facets_carry_names_and_postgres_reads_them_in_its_statement(app, db, anonymous):
    """The facet label is the organization's name; an organization that no longer
    exists is left out. PostgreSQL reads the names in its one statement, so the
    service looks up no organization itself; Whoosh's names come from one lookup."""
    import sqlalchemy as sa

    from app.search import services
    from tests.factories import make_org

    acme = make_org(name="Acme <Resellers>")
    db.session.commit()
    _write(
        app,
        [_doc(1, organization_id=acme.id), _doc(2, organization_id=acme.id), _doc(3, organization_id=99999)],
    )
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = services.search(anonymous, "needle")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert result.total == 3
    assert result.facets["organization"] == {str(acme.id): {"label": "Acme <Resellers>", "count": 2}}
    lookups = [s for s in statements if "FROM organization" in s and "search_document" not in s]
    assert len(lookups) == (0 if app.config["SEARCH_BACKEND"] == "postgres" else 1)
