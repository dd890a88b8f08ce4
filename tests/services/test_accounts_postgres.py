"""Account tokens on PostgreSQL: a reset link posted six times at once is used once.

There the losers' conditional UPDATE waits for the winner's row lock and, once it
commits, finds the row no longer unused; the SQLite run of the same race is in
tests/accounts/test_reset_concurrency.py.
"""

from __future__ import annotations

from tests.accounts.test_reset_concurrency import (
    assert_exactly_one_reset_won,
    post_reset_link_together,
    reset_link_for_a_new_user,
)


def test_six_parallel_posts_of_one_reset_link_let_exactly_one_through_on_postgresql(postgres_url, app, db):
    assert db.engine.dialect.name == "postgresql"
    token, user_id = reset_link_for_a_new_user()
    race = post_reset_link_together(app, token)
    assert_exactly_one_reset_won(race, user_id)
