"""Two chairs granting the last seat at once: exactly one wins, on a SQLite file."""

from __future__ import annotations

import sqlalchemy as sa

from app.core.errors import Conflict
from app.extensions import db as _db
from app.plugins.councils import services
from app.plugins.councils.models import Council, CouncilMembership
from tests.factories import make_org, make_user
from tests.threads import race


def test_two_chairs_granting_the_last_seat_at_once(app, db, admin):
    council = services.create_council(admin, "Race Council", "Charter", seats=3)
    chairs = [make_user(organization=make_org()) for _ in range(2)]
    for chair in chairs:
        services.grant_seat(admin, council, chair, "co_chair")
    candidates = [make_user(organization=make_org()) for _ in range(2)]
    db.session.commit()
    council_id, chair_ids, candidate_ids = council.id, [c.id for c in chairs], [c.id for c in candidates]
    outcomes: list[str] = []

    def grant(n: int) -> None:
        with app.app_context():
            session = _db.session
            try:
                actor = session.get(type(chairs[0]), chair_ids[n])
                target = session.get(type(candidates[0]), candidate_ids[n])
                services.grant_seat(actor, session.get(Council, council_id), target)
                session.commit()
                outcomes.append("won")
            except Conflict:
                session.rollback()
                outcomes.append("lost")
            finally:
                session.remove()

    failures = race(grant, 2)
    assert failures == []
    assert sorted(outcomes) == ["lost", "won"]
    db.session.expire_all()
    assert db.session.get(Council, council_id).seats_taken == 3
    seated = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CouncilMembership)
        .where(CouncilMembership.council_id == council_id)
    )
    assert seated == 3
