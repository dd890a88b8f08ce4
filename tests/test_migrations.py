"""The Alembic migrations build exactly the schema the models describe."""

import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app.core.db import applies_to_dialect
from app.extensions import db
from tests.factories import make_user


def _disabled_plugin_tables(app) -> set[str]:
    """Tables mapped by an in-tree plug-in this app does not enable.

    The model metadata is process-wide: another test in the same worker may have
    enabled a plug-in (and so imported its models) that this app leaves off, as under
    ``make test-plugins-off``. No migration this app applies makes those tables.
    """
    enabled = {f"app.plugins.{name}" for name in app.config["PLUGINS"] if "." not in name}
    tables = set()
    for mapper in db.Model.registry.mappers:
        module = mapper.class_.__module__
        owner = ".".join(module.split(".")[:3])
        if module.startswith("app.plugins.") and owner not in enabled:
            tables.update(table.name for table in mapper.tables)
    return tables


def _schema_diff(app) -> list:
    foreign = _disabled_plugin_tables(app)

    def include(obj, name, type_, *_) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        if table is not None and table.name in foreign:
            return False
        return applies_to_dialect(obj, dialect)

    with db.engine.connect() as connection:
        dialect = connection.dialect.name
        context = MigrationContext.configure(
            connection, opts={"render_as_batch": True, "include_object": include}
        )
        return compare_metadata(context, db.metadata)


def _empty_database() -> None:
    db.drop_all()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


@pytest.fixture(autouse=True)
def _restore_schema(app):
    """Leave the (possibly shared, PostgreSQL) test database as create_all made it."""
    yield
    db.session.remove()
    _empty_database()
    db.create_all()


def test_upgrade_from_empty_matches_models(app):
    _empty_database()
    upgrade()
    assert _schema_diff(app) == []


def test_downgrade_to_base_and_up_again(app):
    _empty_database()
    upgrade()
    downgrade(revision="base")
    with db.engine.connect() as connection:
        tables = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade()
    assert _schema_diff(app) == []


def test_typed_country_names_become_codes_and_other_text_stays(app):
    """0011: "ireland" typed before the country list becomes IE, in the member's row and
    the directory's facet row; text that names no country is left as it was."""
    _empty_database()
    upgrade(revision="0010_jobs")  # the schema the models describe, before 0011
    for country in ["ireland", "United Kingdom", "DE", "Atlantis", ""]:
        make_user(country=country)
    db.session.commit()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM directory_facet")
        first = connection.exec_driver_sql("SELECT min(id) FROM user_account").scalar()
        connection.exec_driver_sql(
            "INSERT INTO directory_facet (subject_type, subject_id, facet, value, visibility) "
            f"VALUES ('user', {first}, 'country', 'ireland', 'everyone')"
        )
    db.session.remove()
    upgrade()
    with db.engine.connect() as connection:
        countries = [
            row[0] for row in connection.exec_driver_sql("SELECT country FROM user_account ORDER BY id")
        ]
        facet = connection.exec_driver_sql("SELECT value FROM directory_facet").scalar()
    assert countries == ["IE", "GB", "DE", "Atlantis", ""]
    assert facet == "IE"


def test_every_revision_id_fits_alembic_version_column():
    """alembic_version.version_num is VARCHAR(32): a longer id upgrades on SQLite (which
    ignores the length) and fails on PostgreSQL with StringDataRightTruncation."""
    root = Path(__file__).resolve().parent.parent
    files = [*root.glob("migrations/versions/*.py"), *root.glob("app/plugins/*/migrations/versions/*.py")]
    assert files
    too_long = {}
    for path in files:
        match = re.search(r"^revision = ['\"]([^'\"]+)['\"]", path.read_text(encoding="utf-8"), re.MULTILINE)
        assert match, path
        if len(match.group(1)) > 32:
            too_long[path.name] = match.group(1)
    assert too_long == {}
