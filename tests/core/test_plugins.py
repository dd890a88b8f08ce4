"""The plug-in contract: one manager per app, hooks for wiring, rules and events."""

import pytest

from app import create_app
from app.core.permissions import can, only_for_actions
from app.plugins import fire, hookimpl, plugin_manager
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


class _CountingRule:
    """A permission rule that records which actions it was asked about."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    @hookimpl
    @only_for_actions("topic.create")
    def permission_rule(self, actor, action, obj):
        self.asked.append(action)
        return False


def test_a_rule_declared_for_some_actions_is_asked_only_about_those(app):
    rule = _CountingRule()
    plugin_manager(app).register(rule)
    member = make_user()
    category = make_category()
    assert can(member, "category.view", category)
    assert not can(member, "topic.create", category)
    assert rule.asked == ["topic.create"]


def test_a_rule_is_not_asked_when_the_core_already_refuses(app):
    rule = _CountingRule()
    plugin_manager(app).register(rule)
    assert not can(None, "topic.create", make_category())
    assert rule.asked == []
