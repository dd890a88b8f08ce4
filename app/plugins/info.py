"""What the plug-in manager knows, for ``flask plugins list`` and ``/admin/plugins``.

In-tree plug-ins are listed whether enabled or not (found on disk, never imported
when disabled); external ones only when loaded. Each row names its own Alembic branch
head, so an operator can see whether ``flask db upgrade`` has applied it.
"""

from __future__ import annotations

import pkgutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pluggy
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

EXTENSION_KEY = "guildhall_plugins"  # where build_plugin_manager keeps the manager
PLUGINS_DIR = Path(__file__).resolve().parent
CORE_MIGRATIONS = PLUGINS_DIR.parent.parent / "migrations"


@dataclass
class PluginInfo:
    name: str
    module: str
    version: str
    state: str  # enabled, disabled, blocked
    kind: str  # in-tree, module, installed package, core, registered
    migration_head: str  # "" when the plug-in has no migrations
    migration_applied: bool | None  # None: no migrations, or the database is unversioned


def in_tree_names() -> list[str]:
    """Sub-packages of ``app/plugins``: the in-tree plug-ins, enabled or not."""
    return sorted(m.name for m in pkgutil.iter_modules([str(PLUGINS_DIR)]) if m.ispkg)


def in_tree_migration_folders(name: str) -> list[str]:
    """The versions folder an in-tree plug-in keeps by convention, found without importing it."""
    folder = PLUGINS_DIR / name / "migrations" / "versions"
    return [str(folder)] if folder.is_dir() else []


def branch_heads(folders: list[str]) -> list[str]:
    """Head revisions of the branch stored in ``folders`` (read with core's revisions,
    which a plug-in branch depends on)."""
    if not folders:
        return []
    script = ScriptDirectory(
        str(CORE_MIGRATIONS), version_locations=[str(CORE_MIGRATIONS / "versions"), *folders]
    )
    wanted = {str(Path(folder).resolve()) for folder in folders}
    return sorted(
        head
        for head in script.get_heads()
        if str(Path(script.get_revision(head).path).resolve().parent) in wanted
    )


def _applied_revisions(engine: sa.Engine) -> set[str] | None:
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        return set(MigrationContext.configure(connection).get_current_heads())


def _version(module: Any) -> str:
    version = getattr(module, "__version__", None) or getattr(module, "VERSION", None)
    if version:
        return str(version)
    top = getattr(module, "__name__", "").split(".")[0]
    if top and top != "app":
        try:
            return metadata.version(top)
        except metadata.PackageNotFoundError:
            pass
    return "built in"


def describe_plugins(
    app: Flask, manager: pluggy.PluginManager, engine: sa.Engine | None = None, include_core: bool = True
) -> list[PluginInfo]:
    """Every plug-in ``app``'s ``manager`` knows, enabled ones first, then disabled
    in-tree ones, then the core listeners (always on) when ``include_core``."""
    enabled = list(app.config.get("PLUGINS", []))
    applied = _applied_revisions(engine) if engine is not None else None
    distributions = dict(manager.list_plugin_distinfo())
    rows: list[PluginInfo] = []

    def migration(folders: list[str]) -> tuple[str, bool | None]:
        heads = branch_heads(folders)
        if not heads:
            return "", None
        return ", ".join(heads), (None if applied is None else set(heads) <= applied)

    for name, plugin in manager.list_name_plugin():
        if plugin is None:
            continue
        module = getattr(plugin, "__name__", str(plugin))
        if name in enabled:
            kind = "in-tree" if "." not in name else "module"
        elif plugin in distributions:
            kind = "installed package"
        elif module.startswith("app."):
            kind = "core"
        else:
            kind = "registered"
        if kind == "core" and not include_core:
            continue
        dist = distributions.get(plugin)
        folders_hook = getattr(plugin, "migrations_folders", None)
        folders = list(folders_hook() or []) if callable(folders_hook) else []
        head, is_applied = migration(folders)
        rows.append(
            PluginInfo(
                name=name if kind != "core" else module,
                module=module,
                version=str(getattr(dist, "version", "")) if dist else _version(plugin),
                state="blocked" if manager.is_blocked(name) else "enabled",
                kind=kind,
                migration_head=head,
                migration_applied=is_applied,
            )
        )
    for name in in_tree_names():
        if name in enabled:
            continue
        head, is_applied = migration(in_tree_migration_folders(name))
        rows.append(
            PluginInfo(
                name=name,
                module=f"app.plugins.{name}",
                version="built in",
                state="disabled",
                kind="in-tree",
                migration_head=head,
                migration_applied=is_applied,
            )
        )
    rows.sort(key=lambda row: (row.kind == "core", row.state != "enabled", row.name))
    return rows
