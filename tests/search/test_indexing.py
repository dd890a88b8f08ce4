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
    from tests.factories import make_category

    private = make_category(name="Private", slug="private", view_policy="members")
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


def test_due_retries_run_on_a_later_request(app, db, client, member, category, keys):
    topic = forums.create_topic(member, category, "Later", "persimmonword")
    app.config["SEARCH_INDEX_AFTER_COMMIT"] = False
    db.session.commit()
    assert keys(member, "persimmonword") == set() and pending_count(db) == 1
    app.config["SEARCH_RETRY_SECONDS"] = 0
    client.get("/healthz")
    assert keys(member, "persimmonword") == {f"topic:{topic.id}"} and pending_count(db) == 0


def topic_first_post(db, topic):
    from app.forums.models import Post

    return db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id, Post.number == 1))
