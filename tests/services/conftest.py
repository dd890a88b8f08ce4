"""Service-backed tests: PostgreSQL (``TEST_DATABASE_URL``) and Redis (``TEST_REDIS_URL``).

Without a service its tests skip with the reason, so ``make test`` works anywhere.
``make test-services`` (and therefore ``.ci/run``) sets ``GUILDHALL_REQUIRE_SERVICES=1``:
then a missing or unreachable service FAILS the tests instead, so CI can never go green
by silently skipping them.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa


def services_required() -> bool:
    return os.environ.get("GUILDHALL_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> None:
    """Skip, or fail when the run insists on its services."""
    if services_required():
        pytest.fail(f"{reason} (GUILDHALL_REQUIRE_SERVICES=1, so this is an error)", pytrace=False)
    pytest.skip(reason)


def _shown(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for the message
        return "<unparseable URL>"


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return f"{error.__class__.__name__}: {lines[0] if lines else ''}"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server behind the ``app`` fixture, checked reachable."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        unavailable("TEST_DATABASE_URL is not set: the PostgreSQL tests need a server")
    if sa.make_url(url).get_backend_name() != "postgresql":
        unavailable(f"TEST_DATABASE_URL is not a PostgreSQL URL: {_shown(url)}")
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means unreachable
        unavailable(f"PostgreSQL at {_shown(url)} is unreachable: {_first_line(error)}")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A reachable Redis server for rate-limit storage and the Socket.IO queue."""
    import redis

    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        unavailable("TEST_REDIS_URL is not set: the Redis tests need a server")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        client.ping()
        client.close()
    except Exception as error:  # noqa: BLE001 - any failure means unreachable
        unavailable(f"Redis at {_shown(url)} is unreachable: {_first_line(error)}")
    return url


@pytest.fixture
def redis_client(redis_url: str):
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=5)
    yield client
    client.close()
