"""The plug-in contract, proven by a plug-in from outside the tree: every kind of
contribution reaches the running app through hooks, and nothing of it shows when the
plug-in is not enabled."""

from __future__ import annotations

import pytest

from app.chat import channels
from app.core.permissions import can
from app.extensions import db as _db
from app.plugins.info import branch_heads, in_tree_migration_folders
from app.search import rebuild
from app.search import services as search
from tests.factories import make_category, make_org, make_user

EXAMPLE = "tests.plugins.example_external.plugin"
enabled = pytest.mark.app_config(PLUGINS=["councils", EXAMPLE])


@pytest.fixture
def member(db):
    user = make_user(username="outsider", organization=make_org())
    db.session.commit()
    return user


@pytest.fixture
def clubber(db):
    user = make_user(username="clubber", display_name="Club Member", organization=make_org())
    db.session.commit()
    return user


@enabled
def test_page_and_nav_item(db, client, login_as, clubber):
    login_as(clubber)
    assert "Hello Club Member." in client.get("/example/").get_data(as_text=True)
    assert 'href="/example/"' in client.get("/").get_data(as_text=True)


@enabled
def test_profile_panel(db, client, login_as, clubber, member):
    login_as(member)
    page = client.get(f"/u/{clubber.username}").get_data(as_text=True)
    assert "Example club" in page and "Club member" in page


@enabled
def test_permission_rule_restricts_a_core_rule_and_answers_its_own_action(db, clubber, member):
    frozen, open_category = make_category(slug="example-frozen"), make_category()
    assert can(member, "topic.create", open_category)
    assert not can(member, "topic.create", frozen)
    assert can(clubber, "example.use") and not can(member, "example.use")


@enabled
def test_search_document_only_for_its_principal(app, db, clubber, member):
    _db.session.commit()
    rebuild.reindex(app)
    assert search.search(clubber, "clubsecret").total == 1
    assert search.search(member, "clubsecret").total == 0


@enabled
def test_chat_room_for_club_members_only(db, clubber, member):
    [room] = channels.sync_plugin_channels(clubber)
    db.session.commit()
    assert channels.member_ids(room.id) == [clubber.id]
    assert channels.sync_plugin_channels(member) == []


@enabled
def test_cli_command(runner):
    result = runner.invoke(args=["example-hello", "Ada"])
    assert result.exit_code == 0 and "hello Ada from the example plug-in" in result.output


@enabled
def test_plugins_list_and_admin_page_show_version_state_and_migration_head(db, runner, login_as, admin):
    output = runner.invoke(args=["plugins", "list"]).output
    lines = {line.split()[0]: line for line in output.splitlines()[1:]}
    assert "0.9.0" in lines[EXAMPLE] and "enabled" in lines[EXAMPLE] and "module" in lines[EXAMPLE]
    [head] = branch_heads(in_tree_migration_folders("councils"))
    assert head in lines["councils"] and "enabled" in lines["councils"]
    page = login_as(admin).get("/admin/plugins").get_data(as_text=True)
    assert EXAMPLE in page and "0.9.0" in page and head in page


@pytest.mark.app_config(PLUGINS=[])
def test_with_plugins_off_nothing_of_them_shows(db, client, login_as, runner, member):
    login_as(member)
    assert client.get("/example/").status_code == 404
    assert client.get("/councils/").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert 'href="/example/"' not in home and 'href="/councils/"' not in home
    assert "example-hello" not in runner.invoke(args=["--help"]).output
    listing = runner.invoke(args=["plugins", "list"]).output
    assert "councils" in listing and "disabled" in listing
