"""``DATABASE_POOL_SIZE``, ``DATABASE_MAX_OVERFLOW`` and ``DATABASE_POOL_TIMEOUT`` size
each process's connection pool (README, "Production"); a bad value stops start-up with
a message naming the setting."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import _engine_defaults, create_app
from app.extensions import db

SERVER = "postgresql+psycopg://guildhall@db/guildhall"


def test_pool_settings_from_the_environment_become_engine_options():
    settings = {"DATABASE_POOL_SIZE": "8", "DATABASE_MAX_OVERFLOW": " 4 ", "DATABASE_POOL_TIMEOUT": "12.5"}
    assert _engine_defaults(SERVER, {}, settings) == {
        "pool_pre_ping": True,
        "pool_size": 8,
        "max_overflow": 4,
        "pool_timeout": 12.5,
    }


def test_unset_pool_settings_keep_the_defaults_and_engine_options_still_win():
    unset = {"DATABASE_POOL_SIZE": None, "DATABASE_MAX_OVERFLOW": "", "DATABASE_POOL_TIMEOUT": None}
    assert _engine_defaults(SERVER, {}, unset) == {"pool_pre_ping": True}
    assert _engine_defaults(SERVER, {"pool_size": 3}, {"DATABASE_POOL_SIZE": "8"})["pool_size"] == 3
    assert _engine_defaults("sqlite://", {}, {"DATABASE_POOL_SIZE": "8"}) == {"pool_pre_ping": False}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_POOL_SIZE", "0"),
        ("DATABASE_POOL_SIZE", "2.5"),
        ("DATABASE_POOL_SIZE", "٣"),  # int() reads other scripts' digits; settings must not
        ("DATABASE_POOL_SIZE", "many"),
        ("DATABASE_MAX_OVERFLOW", "-1"),
        ("DATABASE_POOL_TIMEOUT", "nan"),
        ("DATABASE_POOL_TIMEOUT", "0"),
    ],
)
def test_a_bad_pool_setting_stops_start_up_naming_it(tmp_path, name, value):
    with pytest.raises(RuntimeError, match=name):
        create_app(
            "testing",
            instance_path=str(tmp_path),
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.sqlite'}",
            **{name: value},
        )


def test_a_request_waits_at_most_the_pool_timeout_for_a_connection(tmp_path):
    """Two connections and no overflow: a third checkout gives up after the timeout
    with SQLAlchemy's TimeoutError rather than waiting for ever."""
    app = create_app(
        "testing",
        instance_path=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.sqlite'}",
        DATABASE_POOL_SIZE=2,
        DATABASE_MAX_OVERFLOW=0,
        DATABASE_POOL_TIMEOUT=0.1,
    )
    with app.app_context():
        engine = db.engine
        assert engine.pool.size() == 2
        first, second = engine.connect(), engine.connect()
        try:
            with pytest.raises(sa.exc.TimeoutError):
                engine.connect()
        finally:
            first.close()
            second.close()
        engine.dispose()
