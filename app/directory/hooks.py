"""Directory listing: nav item, facet upkeep on domain events, the custom-fields profile
panel, and the ``flask directory`` commands.

Every listener runs inside the service's transaction, so facet rows change atomically
with the profile, organization or field they describe.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user

from app.directory import facets, fields, profiles
from app.directory.cli import directory_cli
from app.directory.fields import user_ids_with_values
from app.directory.profiles import search_facts
from app.plugins import hookimpl
from app.search.indexing import enqueue


@hookimpl
def nav_items(actor: Any) -> list[dict]:
    """Members' public details are public, so everyone sees the directory."""
    return [{"label": "Directory", "endpoint": "directory.index", "order": 55}]


@hookimpl
def register_cli(cli: Any) -> None:
    cli.add_command(directory_cli)


# --- keeping DirectoryFacet rows in step -----------------------------------------------------


def _sync_user(user: Any) -> None:
    facets.sync_user(user)


@hookimpl
def user_registered(user: Any) -> None:
    _sync_user(user)


@hookimpl
def user_confirmed(user: Any) -> None:
    _sync_user(user)


@hookimpl
def user_suspended(user: Any, actor: Any, until: Any, reason: str) -> None:
    _sync_user(user)


@hookimpl
def profile_updated(user: Any, actor: Any) -> None:
    _sync_user(user)


@hookimpl
def user_role_changed(user: Any, actor: Any, old_role: str, new_role: str) -> None:
    _sync_user(user)


@hookimpl
def organization_created(organization: Any, actor: Any) -> None:
    facets.sync_org(organization)


@hookimpl
def organization_updated(organization: Any, actor: Any) -> None:
    facets.sync_org(organization)


@hookimpl
def profile_field_changed(field: Any, actor: Any, deleted: bool) -> None:
    """Rewrite the field's facet rows and re-index members with a value for it (their
    public search document holds searchable, everyone-visible values)."""

    enqueue(*(f"user:{user_id}" for user_id in user_ids_with_values(field)))
    facets.sync_field(field, deleted=deleted)


@hookimpl
def search_member_facts(user_ids: list[int], session: Any) -> dict[int, dict]:
    """What each member's search document may show: the directory owns the member's
    hidden fields, extra lists and custom values, and search must not import it."""

    return search_facts(user_ids, session)


@hookimpl
def profile_hidden_fields(user: Any, viewer: Any) -> list[str]:
    return sorted(profiles.hidden_fields_for(user, viewer))


@hookimpl
def profile_form_values(user: Any) -> dict:
    snapshot = profiles.settings_snapshot(user)
    return {"certifications": snapshot["certifications"], "industries": snapshot["industries"]}


@hookimpl
def profile_form_saved(user: Any, actor: Any, values: dict) -> None:
    """Certifications and industries live with the directory profile; the rest of
    the directory settings (visibility, custom fields) stay as they were."""
    snapshot = profiles.settings_snapshot(user)
    profiles.update_directory_settings(
        actor,
        user,
        hidden=snapshot["hidden"],
        hidden_fields=snapshot["hidden_fields"],
        certifications=values.get("certifications") or "",
        industries=values.get("industries") or "",
        values=snapshot["values"],
        hidden_values=snapshot["hidden_values"],
    )


@hookimpl
def audit_targets(target_type: str, ids: list[int]) -> dict[int, tuple[str, Any]] | None:
    """The audit log's names for profile fields an admin changed."""
    if target_type != "directory_field":
        return None
    return {field.id: (f"Profile field “{field.label}”", field) for field in fields.fields_by_ids(ids)}


# --- profile panel -----------------------------------------------------------------------------


@hookimpl
def template_panel(name: str, context: dict) -> str | None:
    """Certifications, industries and custom fields on the profile page, as far as the
    viewer may see them (see ``profiles.profile_custom_values``)."""
    if name != "profile_main" or context.get("user") is None:
        return None

    user = context["user"]
    viewer = context.get("viewer", current_user)
    lists = profiles.profile_lists(user, viewer)
    custom = profiles.profile_custom_values(user, viewer)
    if not custom and not any(lists.values()):
        return None
    return render_template(
        "directory/_profile_panel.html",
        user=user,
        custom=custom,
        certifications=lists["certifications"],
        industries=lists["industries"],
        own=getattr(viewer, "id", None) == user.id,
    )
