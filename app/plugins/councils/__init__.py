"""Partner advisory councils: the first in-tree plug-in, built only on hooks.

Everything the council contributes to the rest of Guildhall (its pages, admin link,
chat room, search principals, periodic jobs, CLI, migrations) goes through the hook
implementations below; the core never imports this package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.chat.channels import sync_scope
from app.core.permissions import is_admin, only_for_actions
from app.extensions import db
from app.plugins import hookimpl
from app.plugins.councils import documents, forum_space, meeting_hooks, notices, panels, services
from app.plugins.councils.cli import councils_cli
from app.plugins.councils.demo import seed_council_demo
from app.plugins.councils.document_views import bp as documents_bp
from app.plugins.councils.meeting_views import bp as meeting_bp
from app.plugins.councils.models import Council
from app.plugins.councils.views import bp

__version__ = "0.1.0"
MIGRATIONS = Path(__file__).resolve().parent / "migrations" / "versions"


@hookimpl
def migrations_folders() -> list[str]:
    return [str(MIGRATIONS)]


@hookimpl
def register_blueprints(app: Any) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(meeting_bp)
    app.register_blueprint(documents_bp)


@hookimpl
def register_cli(cli: Any) -> None:
    cli.add_command(councils_cli)


@hookimpl
def nav_items(actor: Any) -> list[dict]:
    if not getattr(actor, "is_authenticated", False):
        return []
    return [{"label": "Councils", "endpoint": "councils.index", "order": 70, "more": True}]


@hookimpl
def admin_pages(actor: Any) -> list[dict]:
    return [
        {"label": "Councils", "endpoint": "councils.new", "permission": "admin.view"},
        {
            "label": "Council feedback waiting",
            "endpoint": "council_work.overdue_feedback",
            "permission": "admin.view",
        },
    ]


@hookimpl
@only_for_actions("council.view", "council.manage")
def permission_rule(actor: Any, action: str, obj: Any) -> bool | None:
    if not isinstance(obj, Council):
        return None
    if action == "council.view":
        return is_admin(actor) or services.is_current(services.membership_of(actor, obj))
    return services.may_manage(actor, obj)


@hookimpl
def profile_panels(user: Any, viewer: Any) -> list[dict]:
    return panels.profile_panels(user, viewer)


@hookimpl
def organization_panels(organization: Any, viewer: Any) -> list[dict]:
    return panels.organization_panels(organization, viewer)


@hookimpl
def chat_channels_for(actor: Any) -> list[dict]:
    """One room per council, for members who may enter (charter accepted)."""
    return [
        {"scope_type": services.SCOPE_TYPE, "scope_id": c.id, "name": c.name, "topic": "Council members only"}
        for c in services.councils_for(actor)
        if services.may_enter(actor, c)
    ]


@hookimpl
def chat_channel_members(scope_type: str, scope_id: int) -> list[int] | None:
    if scope_type != services.SCOPE_TYPE:
        return None
    council = db.session.get(Council, scope_id)
    if council is None:
        return []
    return sorted(
        m.user_id
        for m in services.current_members(scope_id)
        if services.has_accepted_current_charter(m.user, council)
    )


@hookimpl
def forum_spaces() -> list[dict]:
    """One private forum category per council (forums makes and guards it)."""
    return forum_space.forum_spaces()


@hookimpl
def forum_space_member(actor: Any, scope_type: str, scope_id: int) -> bool | None:
    return forum_space.forum_space_member(actor, scope_type, scope_id)


@hookimpl
def search_principals(actor: Any) -> list[str]:
    """``council:<id>`` for each council ``actor`` may enter: the council's documents
    are indexed with this principal only."""
    return [f"council:{c.id}" for c in services.councils_for(actor) if services.may_enter(actor, c)]


@hookimpl
def search_documents(since: Any) -> list[dict]:
    return documents.search_documents(since)


@hookimpl
def membership_changed(scope_type: str, scope_id: int, user: Any, actor: Any, kind: str) -> None:
    """Chat follows council membership at once."""
    if scope_type != services.SCOPE_TYPE:
        return
    sync_scope(services.SCOPE_TYPE, scope_id)


@hookimpl
def periodic_jobs(app: Any) -> list[dict]:
    return [
        {
            "name": "councils.expire-terms",
            "func": _expire_terms_job,
            # Every minute, not once a night: an ended term must also leave the council's
            # live chat room within a minute of midnight (one indexed query per run).
            "every": 60,
            "description": "End council terms that are over (access ends that day) and announce terms ending soon.",
        },
        *meeting_hooks.periodic_jobs(),
    ]


def _expire_terms_job() -> None:
    services.expire_terms()


@hookimpl
def notification_kinds() -> dict[str, dict]:
    return notices.notification_kinds()


@hookimpl
def notification_may_reach(user: Any, kind: str, url: str) -> bool | None:
    return notices.may_reach(user, kind, url)


@hookimpl
def notification_text(notification: Any, viewer: Any) -> str | None:
    return meeting_hooks.notification_text(notification, viewer)


@hookimpl
def seed_demo_data() -> dict[str, int]:
    return seed_council_demo()
