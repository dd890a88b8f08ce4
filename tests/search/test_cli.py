"""``flask search reindex`` rebuilds and reports; ``flask search check`` compares."""

from __future__ import annotations

from tests.factories import make_org, make_post, make_topic


def test_reindex_reports_counts_and_check_agrees(db, runner, member, category):
    topic = make_topic(author=member, category=category)
    make_post(topic, author=member)
    make_org()
    db.session.commit()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1 and "differs" in result.output
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 4 documents" in result.output  # topic, post, member, organization
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0 and "matches" in result.output


def test_plugin_documents_can_be_queued_by_plugins(app, db, member, keys):
    from app.search.indexing import enqueue_document, enqueue_removal

    enqueue_document(
        {
            "kind": "event",
            "id": 3,
            "title": "Summit",
            "body": "quinceword",
            "principals": ["public"],
            "url": "/events/3",
        }
    )
    db.session.commit()
    assert keys(member, "quinceword") == {"event:3"}
    enqueue_removal("event", 3)
    db.session.commit()
    assert keys(member, "quinceword") == set()


def test_a_multi_process_rebuild_indexes_everything(app, db, runner, member, category):
    """``SEARCH_WRITER_PROCS=2`` (Whoosh's multi-process writer) loses nothing; the
    PostgreSQL backend ignores the setting and must rebuild the same."""
    from app.search import services
    from app.search.backend import get_backend

    app.config["SEARCH_WRITER_PROCS"] = 2
    backend = get_backend(app)
    if hasattr(backend, "procs"):
        backend.procs = 2
    for n in range(30):
        topic = make_topic(author=member, category=category, title=f"Lychee plan {n}")
        make_post(topic, author=member, body="A lychee reply.")
    db.session.commit()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert services.search(member, "lychee").total == 60  # 30 topics and 30 replies


def test_check_names_queued_changes_and_the_retry_converges_without_a_reindex(
    app, db, runner, client, member, category
):
    """A process killed between its commit and its index write leaves the change in
    ``search_pending``. ``flask search check`` says so (and points at the retry, not at
    a rebuild), and the worker's retry job brings the index level again."""
    from app.forums import services as forums
    from app.search import services

    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    app.config["SEARCH_INDEX_AFTER_COMMIT"] = False  # the process "dies" after its commit
    topic = forums.create_topic(member, category, "Killed", "The dugongword plan")
    forums.create_reply(member, topic, "A dugongword reply")
    db.session.commit()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert "2 change(s) queued" in result.output and "flask search drain" in result.output
    assert "reindex" not in result.output
    client.get("/healthz")  # requests leave the queue alone: the worker retries it
    assert runner.invoke(args=["search", "check"]).exit_code == 1
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0  # the retry job
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0 and "matches" in result.output, result.output
    assert services.search(member, "dugongword").total == 2


def test_drain_applies_queued_changes_and_check_then_agrees(app, db, runner, member, category):
    from app.forums import services as forums

    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    app.config["SEARCH_INDEX_AFTER_COMMIT"] = False
    forums.create_topic(member, category, "Queued", "body")
    db.session.commit()
    assert runner.invoke(args=["search", "check"]).exit_code == 1
    result = runner.invoke(args=["search", "drain"])
    assert result.exit_code == 0 and "Indexed 1" in result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def test_drain_reports_an_unreadable_queue_instead_of_raising(app, db, runner):
    """drain() runs after commits and before requests, where an exception must not
    escape; the command says what failed and exits 1."""
    import sqlalchemy as sa

    from app.search.indexing import drain

    db.session.execute(sa.text("ALTER TABLE search_pending RENAME TO search_pending_away"))
    db.session.commit()
    try:
        result = drain(app)
        assert result.errors and "search_pending" in result.errors[0]
        outcome = runner.invoke(args=["search", "drain"])
        assert outcome.exit_code == 1 and "search_pending" in outcome.output
    finally:
        db.session.rollback()
        db.session.execute(sa.text("ALTER TABLE search_pending_away RENAME TO search_pending"))
        db.session.commit()
