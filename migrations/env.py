"""Alembic environment for Guildhall.

Core revisions live in ``migrations/versions``; each enabled plug-in contributes its own
``versions`` folder (its own branch) through the ``migrations_folders`` hook, so
``flask db upgrade`` builds core and the enabled plug-ins' tables together; a disabled
plug-in's branch is never applied and its tables are left alone.
"""

import logging
import os
from logging.config import fileConfig

from alembic import context
from alembic.runtime.migration import MigrationStep
from flask import current_app

from app.core.db import applies_to_dialect
from app.plugins import plugin_manager
from app.plugins.info import in_tree_migration_folders, in_tree_names

config = context.config
# Keep loggers that exist already: upgrades also run inside a live process (tests,
# the readiness check's fixtures), where the default would silence the app's loggers.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
engine = migrate_ext.db.engine
config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def _enabled_folders() -> list[str]:
    folders = [config.get_main_option("script_location") + "/versions"]
    for contributed in plugin_manager(current_app).hook.migrations_folders():
        folders.extend(contributed or [])
    return folders


def _version_locations(enabled: list[str]) -> str:
    """Enabled folders, plus every in-tree plug-in's folder: a disabled plug-in's
    revisions stay readable, so a database that once had it (its revision is recorded)
    still upgrades; they are never applied unless enabled (see ``_upgrade_enabled``)."""
    folders = list(enabled)
    for name in in_tree_names():
        folders.extend(folder for folder in in_tree_migration_folders(name) if folder not in folders)
    return " ".join(folders)


ENABLED_FOLDERS = _enabled_folders()
config.set_main_option("version_path_separator", "space")
config.set_main_option("version_locations", _version_locations(ENABLED_FOLDERS))
# The command built its ScriptDirectory from alembic.ini before this file ran; its
# revision map is read lazily, so pointing it at the plug-in folders here is in time
# for upgrade, downgrade, current and history (``flask db migrate`` for a plug-in
# needs ``--head <branch>@head``; see app/plugins/councils/migrations/README).
context.script.version_locations = config.get_main_option("version_locations").split(" ")
target_metadata = migrate_ext.db.metadata


def _upgrade_enabled(rev, migration_context):
    """``flask db upgrade`` (target ``head`` or ``heads``): upgrade to the heads of core
    and the enabled plug-ins only. Core and each plug-in are separate branches, so
    "head" alone would be ambiguous, and a disabled plug-in's branch must not run."""
    script = context.script
    targets = tuple(
        head
        for head in script.get_heads()
        if os.path.dirname(os.path.abspath(script.get_revision(head).path))
        in {os.path.abspath(folder) for folder in ENABLED_FOLDERS}
    )
    revisions = script.iterate_revisions(targets, rev, implicit_base=True)
    return [MigrationStep.upgrade_from_script(script.revision_map, s) for s in reversed(list(revisions))]


def _command_options() -> dict:
    """Replace the upgrade step when ``flask db upgrade`` asks for ``head(s)``; every
    other command (downgrade, stamp, a named revision) runs unchanged."""
    opts = context.get_context().opts
    upgrade = opts.get("fn")
    if getattr(upgrade, "__name__", "") == "upgrade" and opts.get("destination_rev") in ("head", "heads"):
        return {"fn": _upgrade_enabled}
    return {}


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    options = _command_options()
    if options:  # configured twice: the command's own options are read from the first
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=target_metadata,
            literal_binds=True,
            render_as_batch=True,
            **options,
        )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def skip_empty_autogenerate(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(migrate_ext.configure_args)
    conf_args.setdefault("process_revision_directives", skip_empty_autogenerate)
    dialect = engine.dialect.name
    conf_args.setdefault("include_object", lambda obj, *_: applies_to_dialect(obj, dialect))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, **conf_args)
        options = _command_options()
        if options:  # configured twice: the command's own options are read from the first
            context.configure(connection=connection, target_metadata=target_metadata, **conf_args, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
