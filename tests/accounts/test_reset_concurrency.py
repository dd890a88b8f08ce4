"""One password-reset link posted six times at the same moment: exactly one post sets
the password, the others get the "already been used" answer (a 400, never a 500).

Runs on the suite's database: a SQLite file by default, PostgreSQL when
``TEST_DATABASE_URL`` is set (tests/services/test_accounts_postgres.py insists on it).
Each post runs in its own thread with its own app context, session and connection.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask

from app.accounts import tokens
from app.accounts.models import AuthToken, User
from app.accounts.passwords import verify_password
from app.extensions import db
from tests.factories import make_user

THREADS = 6


@dataclass
class Race:
    statuses: dict[str, int] = field(default_factory=dict)  # password posted -> status
    bodies: dict[str, bytes] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)


def post_reset_link_together(app: Flask, token: str, threads: int = THREADS) -> Race:
    """Post ``token`` from ``threads`` browsers at once, each with its own new password.

    Every post must have found the link unused before any of them writes: a barrier
    holds each thread at its first write to ``auth_token`` until all have got there
    (through SQLAlchemy's public ``before_cursor_execute`` event). That is the
    interleaving in which a check-then-write lets every post through.
    """
    barrier = threading.Barrier(threads)
    waited = threading.local()
    race = Race()
    lock = threading.Lock()

    def hold_the_first_token_write(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("UPDATE AUTH_TOKEN") and not getattr(waited, "done", False):
            waited.done = True
            barrier.wait(timeout=60)

    def post(password: str) -> None:
        with app.app_context():
            try:
                response = app.test_client().post(
                    f"/password/reset/{token}", data={"password": password, "confirm": password}
                )
                with lock:
                    race.statuses[password] = response.status_code
                    race.bodies[password] = response.data
            except BaseException as error:  # noqa: BLE001 - collected and asserted by the test
                with lock:
                    race.errors.append(error)
            finally:
                db.session.remove()

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", hold_the_first_token_write)
    try:
        workers = [
            threading.Thread(target=post, args=(f"new passphrase number {n}",)) for n in range(threads)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
    finally:
        sa.event.remove(engine, "before_cursor_execute", hold_the_first_token_write)
    return race


def assert_exactly_one_reset_won(race: Race, user_id: int) -> None:
    assert race.errors == []
    assert len(race.statuses) == THREADS
    winners = [password for password, status in race.statuses.items() if status == 302]
    assert len(winners) == 1, race.statuses
    for password, status in race.statuses.items():
        if password != winners[0]:
            assert status == 400, (password, status)
            assert b"already been used" in race.bodies[password]
    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert [p for p in race.statuses if verify_password(user.password_hash, p)] == winners
    token = db.session.scalar(sa.select(AuthToken).where(AuthToken.user_id == user_id))
    assert token.used_at is not None


def reset_link_for_a_new_user() -> tuple[str, int]:
    user = make_user(email="racer@example.com")
    raw = tokens.issue_token(user, tokens.RESET)
    db.session.commit()
    return raw, user.id


def test_six_parallel_posts_of_one_reset_link_let_exactly_one_through(app, db):
    token, user_id = reset_link_for_a_new_user()
    race = post_reset_link_together(app, token)
    assert_exactly_one_reset_won(race, user_id)
