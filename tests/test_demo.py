"""``flask seed-demo`` and ``flask run-server``: the commands behind ``make run``."""

from __future__ import annotations

import random

import sqlalchemy as sa

from app import serve
from app.accounts.models import Organization, User
from app.accounts.passwords import verify_password
from app.forums.models import Category, Mention, Post, PostLike, Topic
from app.notifications.models import Notification

WILDCARD = "0.0.0.0"  # noqa: S104 - only passed to a stub
COUNTED = (Organization, User, Category, Topic, Post, PostLike, Mention, Notification)


def counts(db) -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in COUNTED
    }


def seed(runner, *args: str):
    result = runner.invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    return result


def test_seed_demo_creates_users_of_every_role_with_known_logins(runner, db):
    seed(runner)
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    assert {u.role for u in users.values()} == {"admin", "moderator", "mentor", "member"}
    assert verify_password(users["admin@guildhall.example"].password_hash, "guildhall-admin")
    assert verify_password(users["moderator@guildhall.example"].password_hash, "guildhall-mod")
    assert verify_password(users["mentor@guildhall.example"].password_hash, "guildhall-mentor")
    assert verify_password(users["bob@guildhall.example"].password_hash, "guildhall-demo")
    assert all(u.is_confirmed for u in users.values())


def test_seed_demo_prints_the_demo_logins(runner):
    output = seed(runner).output
    assert "admin@guildhall.example" in output
    assert "guildhall-admin" in output
    assert "guildhall-demo" in output


def test_seed_demo_members_belong_to_organizations_some_as_org_admins(runner, db):
    seed(runner)
    members = db.session.scalars(sa.select(User).where(User.role == "member")).all()
    # Nina has asked to join Northwind and waits for its admin's answer (see below).
    assert all(m.organization is not None for m in members if m.username != "nina")
    assert any(m.is_org_admin for m in members)
    assert any(not m.is_org_admin for m in members)
    assert all(m.bio and m.job_title and m.region and m.languages for m in members)


def test_seed_demo_creates_organizations_of_several_partner_types_and_regions(runner, db):
    seed(runner)
    orgs = db.session.scalars(sa.select(Organization)).all()
    assert {o.partner_type for o in orgs} >= {
        "reseller",
        "distributor",
        "msp",
        "system-integrator",
        "isv",
        "referral",
    }
    assert {region for o in orgs for region in o.regions} == {"EMEA", "North America", "APAC", "LATAM"}
    assert len({o.tier for o in orgs}) >= 3


def test_seed_demo_creates_public_and_restricted_categories(runner, db):
    seed(runner)
    cats = {c.slug: c for c in db.session.scalars(sa.select(Category))}
    assert cats["announcements"].topic_policy == "moderator,admin"
    assert cats["partner-lounge"].view_policy == "members"
    assert cats["staff-room"].view_policy == "moderator,admin"
    assert cats["campaigns"].parent is cats["selling-marketing"]
    assert cats["general"].view_policy == "everyone"


def test_seed_demo_stores_rendered_markdown_and_consistent_counters(runner, db):
    seed(runner)
    topics = db.session.scalars(sa.select(Topic)).all()
    assert len(topics) >= 15
    for topic in topics:
        numbers = db.session.scalars(sa.select(Post.number).where(Post.topic_id == topic.id)).all()
        assert topic.post_count == topic.highest_post_number == len(numbers) == max(numbers)
    htmls = db.session.scalars(sa.select(Post.body_html)).all()
    assert any("<pre>" in h for h in htmls)
    assert any("<table>" in h for h in htmls)
    assert any("<blockquote>" in h for h in htmls)
    assert any('class="mention"' in h for h in htmls)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Mention)) > 0


def test_seed_demo_twice_changes_nothing(runner, db):
    seed(runner)
    before = counts(db)
    seed(runner)
    assert counts(db) == before


def test_seed_demo_posts_tops_up_to_the_requested_total(runner, db):
    seed(runner, "--posts", "500")
    total = counts(db)["Post"]
    assert total >= 500
    seed(runner, "--posts", "500")
    assert counts(db)["Post"] == total


def test_generated_topics_have_consistent_counters(runner, db):
    seed(runner, "--posts", "300")
    rows = db.session.execute(
        sa.select(Topic.post_count, Topic.highest_post_number, sa.func.count(Post.id), Topic.last_poster_id)
        .join(Post, Post.topic_id == Topic.id)
        .group_by(Topic.id)
    ).all()
    assert all(pc == hn == n for pc, hn, n, _ in rows)
    assert all(last is not None for *_, last in rows)


def test_seed_demo_once_is_a_noop_on_a_seeded_database(runner, db):
    seed(runner)
    before = counts(db)
    result = seed(runner, "--once", "--posts", "400")
    assert "demo data already loaded" in result.output
    assert counts(db) == before


def test_seed_demo_once_loads_an_empty_database(runner, db):
    seed(runner, "--once")
    assert counts(db)["User"] >= 13


def test_seed_demo_without_tables_asks_for_a_migration(runner, db):
    db.drop_all()
    try:
        result = runner.invoke(args=["seed-demo"])
    finally:
        db.create_all()  # the fixture's teardown expects the tables
    assert result.exit_code != 0
    assert "flask db upgrade" in result.output


def test_run_server_help_mentions_host_and_port(runner):
    result = runner.invoke(args=["run-server", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output
    assert "--port" in result.output


def test_run_server_takes_host_and_port_from_the_environment(runner, app, monkeypatch):
    from app.core import heap
    from app.extensions import socketio

    calls = []
    monkeypatch.setattr(heap, "prepare_server_heap", lambda: calls.append("freeze"))
    monkeypatch.setattr(socketio, "run", lambda application, **kwargs: calls.append((application, kwargs)))
    result = runner.invoke(args=["run-server"], env={"HOST": WILDCARD, "PORT": "5123"})
    assert result.exit_code == 0, result.output
    assert calls.pop(0) == "freeze"  # the start-up heap is frozen before serving
    assert calls[0][0] is app
    assert calls[0][1]["host"] == WILDCARD
    assert calls[0][1]["port"] == 5123
    assert calls[0][1]["allow_unsafe_werkzeug"] is True
    assert "http://127.0.0.1:5123/" in result.output


def test_run_server_options_win_over_the_environment(runner, monkeypatch):
    from app.core import heap
    from app.extensions import socketio

    calls = []
    monkeypatch.setattr(heap, "prepare_server_heap", lambda: 0)
    monkeypatch.setattr(socketio, "run", lambda application, **kwargs: calls.append(kwargs))
    runner.invoke(args=["run-server", "--host", "127.0.0.2", "--port", "6001"], env={"PORT": "5123"})
    assert (calls[0]["host"], calls[0]["port"]) == ("127.0.0.2", 6001)


def test_public_url_brackets_ipv6_and_shows_loopback_for_wildcards():
    assert serve.public_url(WILDCARD, 8000) == "http://127.0.0.1:8000/"
    assert serve.public_url("::1", 8000) == "http://[::1]:8000/"
    assert serve.public_url("guildhall.local", 80) == "http://guildhall.local:80/"


def test_generated_bodies_are_distinct_and_their_html_is_the_rendered_markdown(app):
    from app.core.sanitize import render_markdown
    from app.demo import _generated_bodies
    from app.demo_corpus import CorpusGenerator

    pool = _generated_bodies(random.Random(3))
    corpus = CorpusGenerator(3, pool=pool)
    bodies = [corpus.body() for _ in range(300)]
    assert len({markdown for markdown, _ in bodies}) == 300
    for markdown, html in bodies:
        assert html == render_markdown(markdown)


def test_generated_corpus_is_the_same_for_the_same_seed():
    from app.demo_corpus import CorpusGenerator

    first, second = CorpusGenerator(9), CorpusGenerator(9)
    assert [first.body() for _ in range(20)] == [second.body() for _ in range(20)]


def test_seed_demo_builds_the_search_index_so_the_demo_search_finds_its_topics(runner, app, db):
    """Seeding writes rows directly, not through the services that queue index work:
    the index is rebuilt at the end, or `make run` would show an empty search."""
    from app.accounts.models import Anonymous
    from app.search import rebuild, services

    output = seed(runner).output
    assert "Search index:" in output
    result = services.search(Anonymous(), "webhook deliveries")
    assert result.total >= 1
    assert any("webhook" in hit.title.lower() for hit in result.hits)
    expected, indexed = rebuild.check(app)
    assert expected == indexed


def test_seed_demo_can_leave_the_search_index_to_the_caller(runner, app, db):
    from app.accounts.models import Anonymous
    from app.search import services

    output = seed(runner, "--no-search-index").output
    assert "Search index:" not in output
    assert services.search(Anonymous(), "webhook deliveries").total == 0


def test_seed_demo_opens_chat_with_channels_and_history(runner, db):
    from app.chat.models import ChatChannel, ChatMessage

    seed(runner)
    channels = db.session.scalars(sa.select(ChatChannel).where(ChatChannel.kind == "public")).all()
    assert {c.slug for c in channels} >= {"general", "apac"}
    for channel in channels:
        messages = db.session.scalar(
            sa.select(sa.func.count()).select_from(ChatMessage).where(ChatMessage.channel_id == channel.id)
        )
        assert messages >= 3


def test_seed_demo_leaves_a_flagged_post_in_the_review_queue(runner, db):
    from app.moderation.services import open_flag_count

    seed(runner)
    assert open_flag_count() == 1


def test_seed_demo_has_a_suspended_member(runner, db):
    seed(runner)
    mallory = db.session.scalar(sa.select(User).where(User.username == "mallory"))
    assert mallory.is_suspended and mallory.suspended_reason


def test_seed_demo_has_a_pending_join_request_for_an_org_admin(runner, db):
    from app.accounts import organizations

    seed(runner)
    northwind = db.session.scalar(sa.select(Organization).where(Organization.slug == "northwind-resellers"))
    alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
    [pending] = organizations.pending_join_requests(alice, northwind)
    assert pending.user.username == "nina" and pending.note


def test_seed_demo_activity_is_added_once(runner, db):
    from app.chat.models import ChatMessage
    from app.moderation.models import Flag

    seed(runner)
    seed(runner)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChatMessage)) == 9
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Flag)) == 1


def test_demo_lounge_is_open_to_demo_partners_and_closed_to_the_applicant(runner, db):
    from app.core.permissions import can
    from app.forums.models import Category

    seed(runner)
    lounge = db.session.scalar(sa.select(Category).where(Category.slug == "partner-lounge"))
    alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
    nina = db.session.scalar(sa.select(User).where(User.username == "nina"))
    assert can(alice, "category.view", lounge)
    assert not can(nina, "category.view", lounge)


def test_admin_dashboard_shows_demo_activity(runner, db, client, login_as):
    seed(runner)
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    login_as(admin)
    page = client.get("/admin/")
    assert page.status_code == 200
    assert b"<strong>1</strong> open flag in the review queue" in page.data
