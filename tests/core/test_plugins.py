"""The plug-in contract: one manager per app, hooks for wiring, rules and events."""

import pytest

from app import create_app
from app.core.permissions import can
from app.plugins import fire, plugin_manager
from tests.core import sample_plugin
from tests.factories import make_category, make_user

SAMPLE = "tests.core.sample_plugin"


def test_core_works_with_every_plugin_disabled(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/sample/").status_code == 404


@pytest.mark.app_config(PLUGINS=[SAMPLE])
def test_plugin_contributes_blueprint_and_nav_item(client):
    assert client.get("/sample/").data == b"sample plug-in page"
    assert b'href="/sample/"' in client.get("/").data


@pytest.mark.app_config(PLUGINS=[SAMPLE])
def test_plugin_contributes_cli_command(runner):
    result = runner.invoke(args=["sample-hello"])
    assert result.exit_code == 0
    assert "hello from the sample plug-in" in result.output


@pytest.mark.app_config(PLUGINS=[SAMPLE])
def test_plugin_can_restrict_but_not_widen_core_rules(app):
    member = make_user()
    frozen = make_category(slug="frozen")
    open_category = make_category()
    anonymous_member_rule = can(None, "topic.create", open_category)
    assert can(member, "topic.create", open_category)
    assert not can(member, "topic.create", frozen)
    assert anonymous_member_rule is False
    assert can(member, "sample.use")  # an action only the plug-in knows


@pytest.mark.app_config(PLUGINS=[SAMPLE])
def test_domain_events_reach_plugins(app):
    sample_plugin.EVENTS.clear()
    user = make_user()
    fire("user_registered", user=user)
    assert sample_plugin.EVENTS == [("user_registered", user)]


def test_each_app_has_its_own_manager(tmp_path):
    first = create_app("testing", instance_path=str(tmp_path / "a"), PLUGINS=[SAMPLE])
    second = create_app("testing", instance_path=str(tmp_path / "b"))
    assert plugin_manager(first) is not plugin_manager(second)
    assert plugin_manager(first).has_plugin(SAMPLE)
    assert not plugin_manager(second).has_plugin(SAMPLE)


def test_unknown_actions_are_denied(app):
    assert not can(make_user(role="admin"), "no.such.action")
