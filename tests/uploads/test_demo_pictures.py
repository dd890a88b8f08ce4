"""``flask seed-demo`` draws pictures with Pillow: some people get avatars (the rest
keep initials), every organization a logo, and seeding twice adds none."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import Organization, User
from app.uploads.models import Upload


def test_seed_demo_gives_some_people_avatars_and_every_organization_a_logo(runner, db, client):
    result = runner.invoke(args=["seed-demo", "--posts", "0", "--no-search-index"])
    assert result.exit_code == 0, result.output
    users = list(db.session.scalars(sa.select(User)))
    with_avatar = [u for u in users if u.avatar_upload_id]
    assert 0 < len(with_avatar) < len(users)
    orgs = list(db.session.scalars(sa.select(Organization)))
    assert orgs and all(org.logo_upload_id for org in orgs)
    reply = client.get(f"/uploads/{with_avatar[0].avatar_upload_id}/avatar.webp")
    assert reply.status_code == 200 and reply.mimetype == "image/webp"

    before = db.session.scalar(sa.select(sa.func.count()).select_from(Upload))
    assert runner.invoke(args=["seed-demo", "--posts", "0", "--no-search-index"]).exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Upload)) == before
