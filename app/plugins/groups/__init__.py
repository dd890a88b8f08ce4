"""Regional and topic user groups led by mentors (issue 23), built only on hooks.

Everything a group contributes to the rest of Guildhall (its pages, nav item, admin
link, forum category, chat room, notifications, demo rows, migrations) goes through
the hook implementations below; the core never imports this package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.chat.channels import sync_scope
from app.extensions import db
from app.plugins import hookimpl
from app.plugins.groups import auto_rules, forum_space, notices, services
from app.plugins.groups.demo import seed_groups_demo
from app.plugins.groups.models import Group
from app.plugins.groups.views import bp

__version__ = "0.1.0"
MIGRATIONS = Path(__file__).resolve().parent / "migrations" / "versions"


@hookimpl
def migrations_folders() -> list[str]:
    return [str(MIGRATIONS)]


@hookimpl
def register_blueprints(app: Any) -> None:
    app.register_blueprint(bp)


@hookimpl
def nav_items(actor: Any) -> list[dict]:
    if not getattr(actor, "is_authenticated", False):
        return []
    return [{"label": "Groups", "endpoint": "groups.index", "order": 65, "more": True}]


@hookimpl
def admin_pages(actor: Any) -> list[dict]:
    return [
        {"label": "User groups", "endpoint": "groups.new", "permission": "admin.view"},
        {"label": "Group leaders to review", "endpoint": "groups.review_leaders", "permission": "admin.view"},
    ]


@hookimpl
def chat_channels_for(actor: Any) -> list[dict]:
    """One room per group, for its active members."""
    return [
        {"scope_type": services.SCOPE_TYPE, "scope_id": g.id, "name": g.name, "topic": "Group members"}
        for g in services.groups_of(actor)
    ]


@hookimpl
def chat_channel_members(scope_type: str, scope_id: int) -> list[int] | None:
    if scope_type != services.SCOPE_TYPE:
        return None
    if db.session.get(Group, scope_id) is None:
        return []
    return services.active_member_ids(scope_id)


@hookimpl
def forum_spaces() -> list[dict]:
    """One forum category per group (forums makes and guards it)."""
    return forum_space.forum_spaces()


@hookimpl
def forum_space_member(actor: Any, scope_type: str, scope_id: int) -> bool | None:
    return forum_space.forum_space_member(actor, scope_type, scope_id)


@hookimpl
def membership_changed(scope_type: str, scope_id: int, user: Any, actor: Any, kind: str) -> None:
    """Chat follows group membership at once."""
    if scope_type != services.SCOPE_TYPE:
        return
    sync_scope(services.SCOPE_TYPE, scope_id)


@hookimpl
def notification_kinds() -> dict[str, dict]:
    return notices.notification_kinds()


@hookimpl
def notification_may_reach(user: Any, kind: str, url: str) -> bool | None:
    return notices.may_reach(user, kind, url)


@hookimpl
def seed_demo_data() -> dict[str, int]:
    return seed_groups_demo()


@hookimpl
def user_registered(user: Any) -> None:
    """Automatic membership rules apply on registration."""
    auto_rules.apply_rules(user)


@hookimpl
def profile_updated(user: Any, actor: Any) -> None:
    """… and on every profile change (joining an organization is one)."""
    auto_rules.apply_rules(user)
