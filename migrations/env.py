"""Alembic environment for Guildhall.

Core revisions live in ``migrations/versions``; each enabled plug-in contributes its own
``versions`` folder (its own branch) through the ``migrations_folders`` hook, so
``flask db upgrade`` (which upgrades ``heads``) builds core and plug-in tables together.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from app.core.db import applies_to_dialect

config = context.config
fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
engine = migrate_ext.db.engine
config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def _version_locations() -> str:
    from app.plugins import plugin_manager

    folders = [config.get_main_option("script_location") + "/versions"]
    for contributed in plugin_manager(current_app).hook.migrations_folders():
        folders.extend(contributed or [])
    return " ".join(folders)


config.set_main_option("version_path_separator", "space")
config.set_main_option("version_locations", _version_locations())
target_metadata = migrate_ext.db.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
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
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
