"""The admin navigation every admin page shares: the core pages, the existing admin
pages of other features, and plug-ins' pages from the ``admin_pages`` hook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from werkzeug.routing import BuildError

from app.core.permissions import can
from app.plugins import plugin_manager


@dataclass(frozen=True)
class AdminLink:
    label: str
    endpoint: str
    permission: str
    group: str = "Site"


CORE_LINKS = (
    AdminLink("Dashboard", "admin.dashboard", "admin.view", "Overview"),
    AdminLink("Users", "admin.users", "admin.users", "People"),
    AdminLink("Organizations", "admin.organizations", "admin.view", "People"),
    AdminLink("Categories", "forums.admin_categories", "category.manage", "Content"),
    AdminLink("Q&A settings", "qa.admin_settings", "category.manage", "Content"),
    AdminLink("Directory fields", "directory.admin_fields", "directory.fields.manage", "Content"),
    AdminLink("Site settings", "admin.settings", "settings.manage", "Site"),
    AdminLink("Email", "admin.email", "admin.email", "Site"),
    AdminLink("Plug-ins", "admin.plugins", "admin.plugins", "Site"),
    AdminLink("Audit log", "admin.audit", "admin.view", "Site"),
)


def _plugin_links(actor: Any) -> list[AdminLink]:
    links = []
    for pages in plugin_manager().hook.admin_pages(actor=actor):
        for page in pages or []:
            try:
                links.append(
                    AdminLink(
                        str(page["label"]),
                        str(page["endpoint"]),
                        str(page.get("permission") or "admin.view"),
                        "Plug-ins",
                    )
                )
            except (KeyError, TypeError):
                current_app.logger.warning("admin_pages: ignored a malformed entry %r", page)
    return links


def admin_navigation(actor: Any, current_endpoint: str | None) -> list[tuple[str, list[dict]]]:
    """Groups of ``{"label", "url", "current"}`` the actor may open, in order. A link whose
    endpoint is not registered (a feature switched off) is left out, not a 500."""
    groups: dict[str, list[dict]] = {}
    for link in (*CORE_LINKS, *_plugin_links(actor)):
        if not can(actor, link.permission):
            continue
        try:
            url = url_for(link.endpoint)
        except BuildError:
            continue
        groups.setdefault(link.group, []).append(
            {"label": link.label, "url": url, "current": link.endpoint == current_endpoint}
        )
    return list(groups.items())
