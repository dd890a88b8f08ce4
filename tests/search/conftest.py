"""Search tests run against both backends: every test that uses ``app`` is
parametrized with ``SEARCH_BACKEND`` whoosh and postgres. The postgres variant needs
``TEST_DATABASE_URL`` (the whole app then runs on PostgreSQL); without it it skips,
unless ``GUILDHALL_REQUIRE_SERVICES=1``, where it fails.

Each test's Whoosh index lives in its own instance folder (``tmp_path``), so tests
stay isolated and parallel-safe.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from tests.factories import make_category, make_user

BACKENDS = ("whoosh", "postgres")


def _postgres_configured() -> bool:
    url = os.environ.get("TEST_DATABASE_URL")
    return bool(url) and sa.make_url(url).get_backend_name() == "postgresql"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "app" not in metafunc.fixturenames:
        return
    params = []
    for name in BACKENDS:
        marks = []
        if (
            name == "postgres"
            and not _postgres_configured()
            and os.environ.get("GUILDHALL_REQUIRE_SERVICES") != "1"
        ):
            marks.append(
                pytest.mark.skip(reason="TEST_DATABASE_URL is not set: the postgres search backend needs it")
            )
        params.append(pytest.param({"SEARCH_BACKEND": name}, id=name, marks=marks))
    metafunc.parametrize("app", params, indirect=True)


@pytest.fixture(autouse=True)
def _backend_ready(request: pytest.FixtureRequest) -> None:
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    if app.config.get("SEARCH_BACKEND") == "postgres":
        if _db.engine.dialect.name != "postgresql":
            pytest.fail("SEARCH_BACKEND=postgres needs TEST_DATABASE_URL (GUILDHALL_REQUIRE_SERVICES=1)")
        from app.search.backend import get_backend

        get_backend(app).ensure_schema()


@pytest.fixture
def member(db):
    user = make_user(username="member1", display_name="Mia Member")
    db.session.commit()
    return user


@pytest.fixture
def mentor(db):
    user = make_user(role="mentor", username="mentor1", display_name="Max Mentor")
    db.session.commit()
    return user


@pytest.fixture
def moderator(db):
    user = make_user(role="moderator", username="mod1", display_name="Mo Moderator")
    db.session.commit()
    return user


@pytest.fixture
def admin(db):
    user = make_user(role="admin", username="admin1", display_name="Ada Admin")
    db.session.commit()
    return user


@pytest.fixture
def anonymous():
    from app.accounts.models import Anonymous

    return Anonymous()


@pytest.fixture
def category(db):
    cat = make_category(name="General", slug="general")
    db.session.commit()
    return cat


@pytest.fixture
def reindex(app) -> Callable[[], dict]:
    from app.search import rebuild

    def _reindex() -> dict:
        _db.session.commit()
        return rebuild.reindex(app)

    return _reindex


@pytest.fixture
def keys() -> Callable[..., set[str]]:
    """The document keys ``actor`` finds for ``query``."""
    from app.search import services

    def _keys(actor, query: str, **kwargs) -> set[str]:
        kwargs.setdefault("per_page", 50)
        return {hit.key for hit in services.search(actor, query, **kwargs).hits}

    return _keys
