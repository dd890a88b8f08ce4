"""``flask user`` and ``flask org`` commands."""

import sqlalchemy as sa

from app.accounts.models import Organization, User
from app.accounts.passwords import verify_password
from app.moderation.models import AuditEntry
from tests.factories import make_org, make_user


def users(db):
    return db.session.scalars(sa.select(User)).all()


def test_user_create_makes_a_confirmed_user(runner, db):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "Root@Example.com",
            "--name",
            "Root Admin",
            "--password",
            "long enough pw",
            "--role",
            "admin",
        ]
    )
    assert result.exit_code == 0, result.output
    (user,) = users(db)
    assert user.email == "root@example.com"
    assert user.role == "admin"
    assert user.confirmed_at is not None
    assert verify_password(user.password_hash, "long enough pw")


def test_user_create_with_org(runner, db):
    make_org(slug="acme")
    db.session.commit()
    result = runner.invoke(
        args=[
            "user",
            "create",
            "a@example.com",
            "--name",
            "Ann",
            "--password",
            "long enough pw",
            "--org",
            "acme",
            "--org-admin",
        ]
    )
    assert result.exit_code == 0, result.output
    (user,) = users(db)
    assert user.organization.slug == "acme"
    assert user.is_org_admin


def test_user_create_errors_are_clear_and_write_nothing(runner, db):
    make_user(email="taken@example.com")
    db.session.commit()
    cases = [
        (["--role", "overlord"], "Unknown role"),
        (["--org", "nope"], "No organization"),
        (["--password", "short"], "at least 10"),
    ]
    for extra, message in cases:
        args = ["user", "create", "new@example.com", "--name", "New", "--password", "long enough pw", *extra]
        result = runner.invoke(args=args)
        assert result.exit_code != 0
        assert message in result.output
    duplicate = runner.invoke(
        args=["user", "create", "taken@example.com", "--name", "Dup", "--password", "long enough pw"]
    )
    assert duplicate.exit_code != 0
    assert "already exists" in duplicate.output
    assert len(users(db)) == 1


def test_user_set_role(runner, db):
    user = make_user(email="a@example.com")
    db.session.commit()
    result = runner.invoke(args=["user", "set-role", "a@example.com", "moderator"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.role == "moderator"
    assert db.session.scalars(sa.select(AuditEntry)).one().details == {"from": "member", "to": "moderator"}


def test_user_set_role_errors(runner, db):
    make_user(email="a@example.com")
    db.session.commit()
    assert runner.invoke(args=["user", "set-role", "ghost@example.com", "admin"]).exit_code != 0
    bad = runner.invoke(args=["user", "set-role", "a@example.com", "overlord"])
    assert bad.exit_code != 0
    assert "Unknown role" in bad.output


def test_org_create(runner, db):
    result = runner.invoke(args=["org", "create", "Acme Networks", "--type", "msp", "--tier", "gold"])
    assert result.exit_code == 0, result.output
    org = db.session.scalars(sa.select(Organization)).one()
    assert (org.slug, org.partner_type, org.tier) == ("acme-networks", "msp", "gold")


def test_org_create_errors(runner, db):
    assert runner.invoke(args=["org", "create", "Acme", "--type", "pirate"]).exit_code != 0
    assert runner.invoke(args=["org", "create", "Acme", "--type", "msp", "--tier", "diamond"]).exit_code != 0
    assert runner.invoke(args=["org", "create", "Acme"]).exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 0
