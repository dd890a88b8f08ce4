"""An external plug-in in miniature: a page, a nav item, a profile panel, a permission
rule, a search document, a chat room and a CLI command, all through hooks.

Members of the "club" are listed in ``CLUB`` by username; a real plug-in keeps its
own tables.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Blueprint, render_template_string
from flask_login import current_user

from app.accounts.models import User
from app.core.permissions import only_for_actions
from app.extensions import db
from app.plugins import hookimpl

__version__ = "0.9.0"
CLUB: set[str] = {"clubber"}
SCOPE = "example_club"

bp = Blueprint("example_external", __name__, url_prefix="/example")


@bp.get("/")
def index() -> str:
    return render_template_string(
        '{% extends "base.html" %}{% block title %}Example{% endblock %}'
        "{% block content %}<h1>Example plug-in</h1><p>Hello {{ name }}.</p>{% endblock %}",
        name=getattr(current_user, "display_name", "visitor"),
    )


@hookimpl
def register_blueprints(app: Any) -> None:
    app.register_blueprint(bp)


@hookimpl
def register_cli(cli: Any) -> None:
    @cli.command("example-hello")
    @click.argument("name", default="world")
    def hello(name: str) -> None:
        """Say hello (the example plug-in's command)."""
        click.echo(f"hello {name} from the example plug-in")


@hookimpl
def nav_items(actor: Any) -> list[dict]:
    return [{"label": "Example", "endpoint": "example_external.index", "order": 90}]


@hookimpl
def template_panel(name: str, context: dict) -> str | None:
    if name != "profile_sidebar":
        return None
    return render_template_string(
        '<section class="example-panel"><h2>Example club</h2><p>{{ label }}</p></section>',
        label="Club member" if getattr(context.get("user"), "username", None) in CLUB else "Not in the club",
    )


@hookimpl
@only_for_actions("topic.create", "example.use")
def permission_rule(actor: Any, action: str, obj: Any) -> bool | None:
    if action == "example.use":
        return getattr(actor, "username", None) in CLUB
    if action == "topic.create" and getattr(obj, "slug", "") == "example-frozen":
        return False
    return None


@hookimpl
def search_kinds() -> dict[str, str]:
    return {"example_note": "Example notes"}


@hookimpl
def search_documents(since: Any) -> list[dict]:
    return [
        {
            "kind": "example_note",
            "id": 1,
            "title": "Club note",
            "body": "exampleneedle clubsecret",
            "url": "/example/",
            "principals": ["example:club"],
        }
    ]


@hookimpl
def search_principals(actor: Any) -> list[str]:
    return ["example:club"] if getattr(actor, "username", None) in CLUB else []


@hookimpl
def chat_channels_for(actor: Any) -> list[dict]:
    if getattr(actor, "username", None) not in CLUB:
        return []
    return [{"scope_type": SCOPE, "scope_id": 1, "name": "Example club", "topic": "Club members"}]


@hookimpl
def chat_channel_members(scope_type: str, scope_id: int) -> list[int] | None:
    if scope_type != SCOPE:
        return None
    return sorted(db.session.scalars(db.select(User.id).where(User.username.in_(CLUB))))
