"""Private forum spaces: a plug-in's category that only the members it names may read.

A sample plug-in (tests/forums/sample_space_plugin.py) owns "clubs", so these run with
every in-tree plug-in disabled too (``PLUGINS=``). Every outsider (visitor, member,
moderator, admin: staff get no pass) must find nothing of a space anywhere, and get the
same 404 as for a category or topic that does not exist.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.core.errors import DomainError, NotFound
from app.core.permissions import can
from app.extensions import db as _db
from app.forums import services, spaces
from app.forums.models import Category, Post
from app.moderation.services import move_topic
from app.network.follows import follow
from app.notifications.services import list_notifications
from app.search import rebuild
from config import Config
from tests.factories import browser_session_id, make_category, make_topic, make_user
from tests.forums import sample_space_plugin as clubs

pytestmark = pytest.mark.app_config(PLUGINS=[*Config.PLUGINS, "tests.forums.sample_space_plugin"])

SECRET = "Zebrasecret"
PERSONAS = ("visitor", "member", "moderator", "admin", "former")


@pytest.fixture(autouse=True)
def _empty_clubs():
    clubs.CLUBS.clear()
    clubs.MEMBERS.clear()
    yield
    clubs.CLUBS.clear()
    clubs.MEMBERS.clear()


@pytest.fixture
def world(db, app, admin, moderator):
    """A club with its space, a topic and a reply carrying ``SECRET``, and one person
    per persona (``former`` was a member, wrote, watched, and left)."""
    insider, former = make_user(username="insider"), make_user(username="former")
    clubs.CLUBS[7] = "Chess club"
    clubs.MEMBERS[7] = {insider.id, former.id}
    space = spaces.ensure_forum_space("club", 7, "Chess club", "Members only")
    make_category(name="Open", slug="open")
    db.session.commit()
    services.toggle_category_watch(former, space)
    first = services.create_topic(former, space, f"{SECRET} opening", f"Body {SECRET}")
    db.session.commit()
    clubs.MEMBERS[7].discard(former.id)  # the former member leaves
    topic = services.create_topic(insider, space, f"{SECRET} plans", f"The {SECRET} plan")
    services.create_reply(insider, first, f"Reply {SECRET}")
    db.session.commit()
    people = {"visitor": None, "member": make_user(username="outsider"), "moderator": moderator}
    people |= {"admin": admin, "former": former}
    for person in (people["member"], people["moderator"], people["admin"], people["former"]):
        follow(person, insider)
    db.session.commit()
    return {"space": space, "topic": topic, "first": first, "insider": insider, "people": people}


def _body(response) -> str:
    """The page without flashed messages (a visitor's sign-in prompt may linger)."""
    text = re.sub(
        r'<p class="flash[^"]*" role="status">.*?</p>', "", response.get_data(as_text=True), flags=re.S
    )
    return re.sub(r"\s+", " ", text)


# --- making the categories ------------------------------------------------------------


def test_sync_makes_each_declared_space_once(app, db):
    clubs.CLUBS.update({1: "Chess club", 2: "Go club"})
    made = spaces.sync_forum_spaces()
    db.session.commit()
    again = spaces.sync_forum_spaces()
    db.session.commit()
    assert [c.id for c in made] == [c.id for c in again]
    rows = db.session.scalars(sa.select(Category).where(Category.space_type == "club")).all()
    assert sorted((c.space_id, c.name) for c in rows) == [(1, "Chess club"), (2, "Go club")]
    assert all(c.parent_id is None and c.slug.startswith("club-") for c in rows)


def test_a_concurrent_sync_that_made_the_category_first_is_not_an_error(app, db, monkeypatch):
    """The other worker's insert wins between our read and our insert: ours does
    nothing (ON CONFLICT), and we return theirs."""
    theirs = spaces.ensure_forum_space("club", 3, "Chess club")
    db.session.commit()
    real = spaces.space_category
    calls = []

    def missed_it_once(scope_type, scope_id):
        calls.append(scope_id)
        return None if len(calls) == 1 else real(scope_type, scope_id)

    monkeypatch.setattr(spaces, "space_category", missed_it_once)
    assert spaces.ensure_forum_space("club", 3, "Chess club").id == theirs.id
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).where(Category.space_type == "club")) == 1


def test_a_taken_slug_gets_another_and_a_rename_follows(app, db):
    make_category(name="Taken", slug="club-4-chess-club")
    db.session.commit()
    category = spaces.ensure_forum_space("club", 4, "Chess club")
    assert category.slug == "club-4"
    assert spaces.ensure_forum_space("club", 4, "Chess and draughts").name == "Chess and draughts"


def test_unusable_answers_are_skipped(app, db):
    for bad in (
        None,
        "x",
        {"scope_type": "Bad Type", "scope_id": 1},
        {"scope_type": "club", "scope_id": "1"},
    ):
        assert spaces.clean_spec(bad) is None
    with pytest.raises(ValueError):
        spaces.ensure_forum_space("club", 0, "Nope")


def test_cli_and_worker_job_sync_the_spaces(app, db, runner):
    clubs.CLUBS[5] = "Chess club"
    result = runner.invoke(args=["forums", "sync-spaces"])
    assert result.exit_code == 0 and "1 made now" in result.output, result.output
    assert runner.invoke(args=["forums", "sync-spaces"]).output.strip().endswith("0 made now.")
    listing = runner.invoke(args=["jobs", "list"])
    assert "forums.sync-spaces" in listing.output, listing.output


# --- who may read ------------------------------------------------------------------


def test_only_the_plugin_admits_and_staff_get_no_pass(app, world):
    space = world["space"]
    assert can(world["insider"], "category.view", space)
    for persona, person in world["people"].items():
        assert not can(person, "category.view", space), persona
        assert not can(person, "topic.view", world["topic"]), persona


def test_a_space_no_enabled_plugin_owns_is_closed_to_everyone(app, db, admin):
    ghost = make_category(name="Ghost", slug="ghost", space_type="ghost", space_id=1)
    db.session.commit()
    assert not can(admin, "category.view", ghost)
    assert not can(make_user(), "category.view", ghost)


@pytest.mark.parametrize("persona", PERSONAS)
def test_category_and_topic_pages_answer_as_for_missing_ones(app, client, sign_in, world, persona):
    sign_in(world["people"][persona])
    space, topic = world["space"], world["topic"]
    pairs = [
        (f"/c/{space.slug}", "/c/no-such-category"),
        (f"/c/{space.slug}/new", "/c/no-such-category/new"),
        (f"/t/{topic.id}", f"/t/{topic.id + 1000}"),
        (f"/t/{topic.id}-{topic.slug}", f"/t/{topic.id + 1000}-{topic.slug}"),
        (f"/t/{topic.id}/unread", f"/t/{topic.id + 1000}/unread"),
        (f"/p/{world['first'].id}", f"/p/{world['first'].id + 1000}"),
    ]
    for real, missing in pairs:
        got, expected = client.get(real), client.get(missing)
        assert got.status_code == expected.status_code, (persona, real)
        assert got.status_code in (302, 401, 404), (persona, real)
        if got.status_code == 302:  # a visitor is asked to sign in, in both cases
            assert got.headers["Location"].split("?")[0] == expected.headers["Location"].split("?")[0]
        else:
            assert _body(got).replace(real, "") == _body(expected).replace(missing, ""), (persona, real)
        assert SECRET not in _body(got) and "Chess club" not in _body(got), (persona, real)


@pytest.mark.parametrize("persona", PERSONAS[1:])
def test_lists_feeds_profile_and_json_show_nothing_of_the_space(app, client, sign_in, world, persona):
    rebuild.reindex(app)
    sign_in(world["people"][persona])
    insider = world["insider"].username
    for url in (
        "/",
        "/categories",
        "/new",
        "/unread",
        "/new-topic",
        "/following",
        f"/u/{insider}",
        f"/search.json?q={SECRET}",
        "/search.json?q=chess",
        f"/drafts?category={world['space'].id}",
        "/notifications/",
        "/notifications/unread.json",
    ):
        response = client.get(url)
        assert response.status_code in (200, 404), (persona, url, response.status_code)
        text = response.get_data(as_text=True)
        assert SECRET not in text and "Chess club" not in text, (persona, url)
    data = client.get(f"/search.json?q={SECRET}").get_json()
    assert data["total"] == 0 and data["hits"] == []
    page = client.get(f"/search?q={SECRET}").get_data(as_text=True)  # echoes the query only
    assert 'class="search-empty"' in page and 'class="search-hit' not in page


def test_the_member_sees_it_all_so_the_checks_are_not_vacuous(app, client, sign_in, world):
    rebuild.reindex(app)
    sign_in(world["insider"])
    space, topic = world["space"], world["topic"]
    assert SECRET in client.get(f"/c/{space.slug}").get_data(as_text=True)
    assert SECRET in client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert SECRET in client.get("/").get_data(as_text=True)
    assert "Chess club" in client.get("/categories").get_data(as_text=True)
    assert client.get(f"/search.json?q={SECRET}").get_json()["total"] >= 2


def test_a_former_member_watching_the_category_hears_of_nothing_new(app, db, world):
    former = world["people"]["former"]
    texts = " ".join(n.message for n in list_notifications(former).items)
    assert "plans" not in texts and SECRET not in texts
    assert former not in services.watchers_of(world["topic"])
    assert former not in services.watchers_of(world["first"])  # their own topic, too


def test_outsiders_cannot_post_watch_or_draft_there(app, db, world):
    outsider = world["people"]["member"]
    with pytest.raises(NotFound):
        services.create_topic(outsider, world["space"], "Sneaking in here", "Body text here")
    with pytest.raises(NotFound):
        services.create_reply(outsider, world["topic"], "Sneaking in here")
    with pytest.raises(NotFound):
        services.toggle_category_watch(outsider, world["space"])


@pytest.mark.app_config(PAGE_CACHE_SECONDS=300)
@pytest.mark.parametrize("persona", PERSONAS)
def test_a_page_cached_for_the_member_never_reaches_an_outsider(app, world, persona):
    member, outsider = app.test_client(), app.test_client()
    for client, person in ((member, world["insider"]), (outsider, world["people"][persona])):
        if person is not None:
            with client.session_transaction() as session:
                session["_user_id"] = browser_session_id(person)
                session["_fresh"] = True
    topic = world["topic"]
    for url in ("/", "/categories", f"/c/{world['space'].slug}", f"/t/{topic.id}-{topic.slug}"):
        member.get(url)
        member.get(url)
        text = outsider.get(url).get_data(as_text=True)
        assert SECRET not in text and "Chess club" not in text, (persona, url)


# --- admin and moderation ------------------------------------------------------------


def test_admin_list_hides_spaces_it_is_not_in_and_counts_them(app, client, sign_in, world, admin):
    sign_in(admin)
    page = client.get("/admin/categories").get_data(as_text=True)
    assert "Chess club" not in page and "1 private space is not listed" in page
    assert client.get(f"/admin/categories/{world['space'].id}/edit").status_code == 404


def test_a_space_cannot_be_repoliced_moved_or_used_as_a_parent(app, client, sign_in, world, admin):
    clubs.MEMBERS[7].add(admin.id)
    sign_in(admin)
    space = world["space"]
    page = client.get("/admin/categories").get_data(as_text=True)
    assert "Chess club" in page and f"/admin/categories/{space.id}/edit" not in page
    form = {
        "name": "Chess club",
        "slug": space.slug,
        "description": "",
        "parent": 0,
        "position": 0,
        "view_policy": "everyone",
        "topic_policy": "members",
        "reply_policy": "members",
    }
    answer = client.post(f"/admin/categories/{space.id}/edit", data=form)
    assert answer.status_code in (400, 409, 422) and "private space" in answer.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(Category, space.id).view_policy == "members"
    child = dict(form, name="Child", slug="child", parent=space.id)
    answer = client.post("/admin/categories/new", data=child)
    assert (
        answer.status_code >= 400
        and _db.session.scalar(sa.select(Category).where(Category.slug == "child")) is None
    )


def test_moderators_cannot_move_topics_into_or_out_of_a_space(app, db, world, moderator):
    clubs.MEMBERS[7].add(moderator.id)
    open_category = db.session.scalar(sa.select(Category).where(Category.slug == "open"))
    with pytest.raises(DomainError):
        move_topic(moderator, world["topic"], open_category)
    public = make_topic(category=open_category)
    with pytest.raises(DomainError):
        move_topic(moderator, public, world["space"])


def test_the_admin_user_page_lists_no_post_of_a_space_it_is_not_in(app, client, sign_in, world, admin):
    sign_in(admin)
    page = client.get(f"/admin/users/{world['insider'].username}").get_data(as_text=True)
    assert SECRET not in page
    clubs.MEMBERS[7].add(admin.id)
    assert SECRET in client.get(f"/admin/users/{world['insider'].username}").get_data(as_text=True)


def test_moderation_pages_answer_404_for_a_space_the_moderator_is_not_in(
    app, client, sign_in, world, moderator
):
    sign_in(moderator)
    topic = world["topic"]
    opening = _db.session.scalar(sa.select(Post.id).where(Post.topic_id == topic.id, Post.number == 1))
    for url in (f"/mod/posts/{opening}/hide", f"/mod/topics/{topic.id}/lock", f"/mod/topics/{topic.id}/move"):
        answer = client.get(url)
        assert answer.status_code == 404, (url, answer.status_code)
        assert SECRET not in answer.get_data(as_text=True)
