"""The Alembic migrations build exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app.core.db import applies_to_dialect
from app.extensions import db


def _schema_diff(app) -> list:
    with db.engine.connect() as connection:
        dialect = connection.dialect.name
        context = MigrationContext.configure(
            connection,
            opts={
                "render_as_batch": True,
                "include_object": lambda obj, *_: applies_to_dialect(obj, dialect),
            },
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
