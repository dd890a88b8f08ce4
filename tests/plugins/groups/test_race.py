"""Two leaders approving the same request at once: one approval, one clear error, one
membership row (on a SQLite file, or PostgreSQL in CI)."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.core.errors import Conflict
from app.extensions import db as _db
from app.plugins.groups import services
from app.plugins.groups.models import GroupMembership
from tests.factories import make_user
from tests.plugins.groups.support import ENABLED, partner
from tests.threads import race

pytestmark = ENABLED


def test_two_leaders_approving_one_request_at_once(app, db, mentor, request_group):
    co = make_user(role="mentor")
    services.appoint_leader(mentor, request_group, co, "co_organizer")
    asker = partner()
    membership = services.request_to_join(asker, request_group, "Hello")
    db.session.commit()
    leader_ids, membership_id = [mentor.id, co.id], membership.id
    outcomes: list[str] = []

    def approve(n: int) -> None:
        with app.app_context():
            session = _db.session
            try:
                actor = session.get(User, leader_ids[n])
                services.decide_request(actor, session.get(GroupMembership, membership_id), True)
                session.commit()
                outcomes.append("approved")
            except Conflict as error:
                session.rollback()
                outcomes.append(error.message)
            finally:
                session.remove()

    assert race(approve, 2) == []
    assert sorted(outcomes) == ["This request has already been answered.", "approved"]
    db.session.expire_all()
    rows = db.session.scalars(sa.select(GroupMembership).where(GroupMembership.user_id == asker.id)).all()
    assert [r.status for r in rows] == ["active"]


def test_two_clicks_on_join_at_once_make_one_membership(app, db, open_group):
    joiner = partner()
    db.session.commit()
    group_id, joiner_id = open_group.id, joiner.id
    outcomes: list[str] = []

    def join(_: int) -> None:
        with app.app_context():
            session = _db.session
            try:
                group = services.group_by_id_for(session.get(User, joiner_id), group_id)
                services.join(session.get(User, joiner_id), group)
                session.commit()
                outcomes.append("joined")
            except Conflict:
                session.rollback()
                outcomes.append("refused")
            finally:
                session.remove()

    assert race(join, 2) == []
    assert sorted(outcomes) == ["joined", "refused"]
    db.session.expire_all()
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(GroupMembership).where(GroupMembership.user_id == joiner_id)
    )
    assert count == 1
