"""Indexing follows commits: every domain event re-indexes what it changed."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.core.db import utcnow
from app.forums import services as forums
from app.search.models import SearchPending


def pending_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(SearchPending))


def test_new_topic_and_reply_are_found_after_commit(db, member, category, keys):
    topic = forums.create_topic(member, category, "Quarterly rebate schedule", "The rebate pays in March.")
    reply = forums.create_reply(member, topic, "Also the zebrafish budget.")
    db.session.commit()
    assert keys(member, "rebate") == {f"topic:{topic.id}"}
    assert keys(member, "zebrafish") == {f"post:{reply.id}"}
    assert pending_count(db) == 0


def test_nothing_is_indexed_before_commit_or_after_rollback(db, member, category, keys):
    forums.create_topic(member, category, "Uncommitted platypus", "body")
    db.session.flush()
    assert keys(member, "platypus") == set()
    db.session.rollback()
    assert keys(member, "platypus") == set()
    assert pending_count(db) == 0


def test_edits_deletes_and_restores_follow_the_post(db, member, category, keys):
    topic = forums.create_topic(member, category, "Edit me", "original kiwiword")
    reply = forums.create_reply(member, topic, "reply mangoword")
    db.session.commit()
    forums.edit_post(member, reply, "changed papayaword")
    db.session.commit()
    assert keys(member, "mangoword") == set() and keys(member, "papayaword") == {f"post:{reply.id}"}
    forums.delete_post(member, reply)
    db.session.commit()
    assert keys(member, "papayaword") == set()
    forums.restore_post(member, reply)
    db.session.commit()
    assert keys(member, "papayaword") == {f"post:{reply.id}"}


def test_hiding_the_opening_post_hides_the_whole_topic(db, member, moderator, category, keys):
    from app.moderation import services as moderation

    topic = forums.create_topic(member, category, "Spam topic", "guavaword")
    reply = forums.create_reply(member, topic, "guavaword reply")
    db.session.commit()
    first = topic_first_post(db, topic)
    moderation.hide_post(moderator, first, "spam")
    db.session.commit()
    assert keys(member, "guavaword") == set()
    assert keys(moderator, "guavaword") == {f"topic:{topic.id}", f"post:{reply.id}"}
    moderation.unhide_post(moderator, first)
    db.session.commit()
    assert len(keys(member, "guavaword")) == 2


def test_moving_a_topic_to_a_private_category_hides_it(db, member, moderator, category, anonymous, keys):
    from app.moderation import services as moderation
    from tests.factories import make_category, make_org

    private = make_category(name="Private", slug="private", view_policy="members")
    member.organization = make_org()  # a partner member may read members-only spaces
    topic = forums.create_topic(member, category, "Moving", "lycheeword")
    db.session.commit()
    moderation.move_topic(moderator, topic, private)
    db.session.commit()
    assert keys(anonymous, "lycheeword") == set() and keys(member, "lycheeword") == {f"topic:{topic.id}"}


def test_profiles_organizations_and_suspensions_are_reindexed(db, member, admin, moderator, anonymous, keys):
    from app.accounts import organizations
    from app.accounts import services as accounts
    from app.moderation import services as moderation

    accounts.update_profile(member, member, display_name="Mia Member", job_title="Durian architect")
    org = organizations.create_organization(admin, "Rambutan Partners", "reseller")
    db.session.commit()
    assert keys(anonymous, "durian") == {f"user:{member.id}"}
    assert keys(anonymous, "rambutan") == {f"org:{org.id}"}
    organizations.update_organization(
        admin,
        org,
        name="Rambutan Partners",
        partner_type="reseller",
        tier="gold",
        description="Tamarind experts",
    )
    db.session.commit()
    assert keys(anonymous, "tamarind") == {f"org:{org.id}"}
    moderation.suspend_user(moderator, member, utcnow() + timedelta(days=3), "spam")
    db.session.commit()
    assert keys(anonymous, "durian") == set() and keys(moderator, "durian") == {f"user:{member.id}"}
    moderation.unsuspend_user(moderator, member, "appeal upheld")
    db.session.commit()
    assert keys(anonymous, "durian") == {f"user:{member.id}"}


def test_a_failed_index_write_keeps_the_change_and_is_retried(app, db, member, category, keys, monkeypatch):
    from app.search import backend as search_backend
    from app.search.indexing import drain

    real = search_backend.get_backend(app)

    class Broken:
        def __getattr__(self, name):
            return getattr(real, name)

        def writer(self, rebuild=False):
            raise OSError("disk full")

    app.extensions[search_backend.EXTENSION_KEY] = Broken()
    topic = forums.create_topic(member, category, "Survives", "jackfruitword")
    db.session.commit()
    assert db.session.get(type(topic), topic.id) is not None  # the database write landed
    row = db.session.scalar(sa.select(SearchPending))
    assert row.key == f"topic:{topic.id}" and row.attempts == 1 and "disk full" in row.last_error
    app.extensions[search_backend.EXTENSION_KEY] = real
    assert drain(app).failed == 0 and pending_count(db) == 1  # backing off: not due yet
    assert drain(app, force=True).indexed == 1
    assert keys(member, "jackfruitword") == {f"topic:{topic.id}"} and pending_count(db) == 0


def test_due_retries_run_by_the_worker_job_not_on_requests(app, db, client, runner, member, category, keys):
    """The retry left the request path (issue 21): a request no longer drains the
    queue; the worker's ``search.retry-index-writes`` job does."""
    topic = forums.create_topic(member, category, "Later", "persimmonword")
    app.config["SEARCH_INDEX_AFTER_COMMIT"] = False
    db.session.commit()
    assert keys(member, "persimmonword") == set() and pending_count(db) == 1
    client.get("/healthz")
    client.get("/search?q=persimmonword")
    assert pending_count(db) == 1
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0 and "search.retry-index-writes" in result.output, result.output
    assert keys(member, "persimmonword") == {f"topic:{topic.id}"} and pending_count(db) == 0


def test_a_retry_the_index_still_refuses_is_recorded_as_a_failed_job_run(app, db, runner, member, category):
    """The worker's record (``flask jobs list``, metrics) shows the index failing; the
    changes stay queued with their own back-off."""
    from app.search import backend as search_backend

    real = search_backend.get_backend(app)

    class Broken:
        def __getattr__(self, name):
            return getattr(real, name)

        def writer(self, rebuild=False):
            raise OSError("disk full")

    app.config["SEARCH_INDEX_AFTER_COMMIT"] = False
    forums.create_topic(member, category, "Refused", "tamarillo")
    db.session.commit()
    app.extensions[search_backend.EXTENSION_KEY] = Broken()
    try:
        result = runner.invoke(args=["worker", "--once"])
    finally:
        app.extensions[search_backend.EXTENSION_KEY] = real
    assert result.exit_code == 1, result.output
    assert "search.retry-index-writes" in result.output and "disk full" in result.output
    assert pending_count(db) == 1
    listing = runner.invoke(args=["jobs", "list"]).output.split("search.retry-index-writes", 1)[1]
    assert "failed (attempt 1" in listing and "IndexRetryFailed" in listing


def topic_first_post(db, topic):
    from app.forums.models import Post

    return db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id, Post.number == 1))


def test_a_key_queued_again_after_a_rolled_back_savepoint_keeps_its_row(app, db, member):
    """The SAVEPOINT's row is gone with it; the retried change must leave its own."""
    from app.search.indexing import enqueue

    app.config["SEARCH_INDEX_AFTER_COMMIT"] = False
    savepoint = db.session.begin_nested()
    enqueue(f"user:{member.id}")
    db.session.flush()
    savepoint.rollback()
    enqueue(f"user:{member.id}")
    db.session.commit()
    assert db.session.scalars(sa.select(SearchPending.key)).all() == [f"user:{member.id}"]


def test_a_rebuild_keeps_the_queue_rows_of_changes_it_could_not_see(app, db, member, category, keys):
    """On PostgreSQL ids are handed out at insert, not at commit: a change holding a
    lower queue id can commit after the rebuild read the documents. The rebuild used to
    delete every row up to the highest id it had seen, that one included, and the
    change never reached the index. Only rows seen before reading are deleted now."""
    import pytest

    from app.forums.models import Topic
    from app.search import rebuild

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite commits one writer at a time, in id order")
    topic = forums.create_topic(member, category, "Before", "opening post")
    db.session.commit()
    app.config["SEARCH_INDEX_AFTER_COMMIT"] = False
    late = db.engine.connect()  # another request, slower to commit
    late.begin()
    late.execute(sa.update(Topic).where(Topic.id == topic.id).values(title="Kiwanoword"))
    late.execute(sa.insert(SearchPending).values(key=f"tree:{topic.id}", payload=None, attempts=0,
                                                 last_error="", created_at=utcnow(), next_attempt_at=utcnow()))  # fmt: skip
    forums.create_topic(member, category, "Meanwhile", "committed first, with a higher id")
    db.session.commit()
    committed = []

    def commit_the_slow_one_once_read(_count: int) -> None:
        if not committed:
            late.commit()  # after the rebuild has read the topics, before it deletes rows
            committed.append(True)

    try:
        rebuild.reindex(app, progress=commit_the_slow_one_once_read)
    finally:
        late.close()
    assert keys(member, "kiwanoword") == {f"topic:{topic.id}"}
    assert pending_count(db) == 0


def test_turning_q_and_a_on_or_off_reindexes_the_categorys_topics(db, admin, member, category, keys):
    """Whether a topic is a question (its replies answers) is the category's Q&A
    setting: changing it left every document of the category with its old kind."""
    from app.qa.categories import set_qa_category

    topic = forums.create_topic(member, category, "Which tier?", "axolotlword question")
    reply = forums.create_reply(member, topic, "An axolotlword answer")
    db.session.commit()
    assert keys(member, "axolotlword", kinds=["question", "answer"]) == set()
    set_qa_category(admin, category, True)
    db.session.commit()
    assert keys(member, "axolotlword", kinds=["question", "answer"]) == {
        f"topic:{topic.id}",
        f"post:{reply.id}",
    }
    set_qa_category(admin, category, False)
    db.session.commit()
    assert keys(member, "axolotlword", kinds=["topic", "post"]) == {f"topic:{topic.id}", f"post:{reply.id}"}
    assert pending_count(db) == 0
