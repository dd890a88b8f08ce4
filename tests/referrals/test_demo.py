"""``flask seed-demo`` adds a few referrals, one in each interesting state, once."""

from __future__ import annotations

import sqlalchemy as sa

from app.referrals.models import Referral, ReferralEvent


def test_seed_demo_adds_referrals_once(runner, db):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "4 referrals" in first.output
    statuses = set(db.session.scalars(sa.select(Referral.status)))
    assert statuses == {"sent", "in_progress", "won", "declined"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReferralEvent)) == 10
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "0 referrals" in second.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 4
