"""``flask user …`` and ``flask org …`` commands: the same services as the pages."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.accounts import organizations, services
from app.accounts.models import PARTNER_TYPE_LABELS, TIERS
from app.core.errors import DomainError
from app.core.permissions import ROLES
from app.extensions import db

user_cli = AppGroup("user", help="Manage member accounts.")
org_cli = AppGroup("org", help="Manage partner organizations.")


def _fail(error: DomainError) -> None:
    db.session.rollback()
    raise click.ClickException(error.message)


@user_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option("--password", required=True, help=f"At least {services.PASSWORD_MIN_LENGTH} characters.")
@click.option("--role", default="member", show_default=True, help=f"One of: {', '.join(ROLES)}.")
@click.option("--org", "org_slug", default=None, help="Slug of the member's organization.")
@click.option("--org-admin", is_flag=True, help="Make the member an admin of --org.")
def create_user_command(
    email: str, name: str, password: str, role: str, org_slug: str | None, org_admin: bool
) -> None:
    """Create a confirmed account (for admins and seeding)."""
    try:
        org = organizations.get_organization(org_slug) if org_slug else None
        user = services.create_user(
            email, name, password, role=role, confirmed=True, organization=org, is_org_admin=org_admin
        )
        db.session.commit()
    except DomainError as error:
        _fail(error)
    click.echo(f"Created {user.role} {user.username} <{user.email}>.")


@user_cli.command("set-role")
@click.argument("email")
@click.argument("role")
@click.option("--reason", default="", help="Recorded in the audit log.")
def set_role_command(email: str, role: str, reason: str) -> None:
    """Change a member's role."""
    user = services.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the email address {email}.")
    try:
        services.set_role(services.CommandLineActor(), user, role, reason or "set from the command line")
        db.session.commit()
    except DomainError as error:
        _fail(error)
    click.echo(f"{user.username} is now {user.role}.")


@org_cli.command("create")
@click.argument("name")
@click.option("--type", "partner_type", required=True, help=f"One of: {', '.join(PARTNER_TYPE_LABELS)}.")
@click.option("--tier", default="registered", show_default=True, help=f"One of: {', '.join(TIERS)}.")
def create_org_command(name: str, partner_type: str, tier: str) -> None:
    """Create a partner organization."""
    try:
        org = organizations.create_organization(services.CommandLineActor(), name, partner_type, tier)
        db.session.commit()
    except DomainError as error:
        _fail(error)
    click.echo(f"Created organization {org.name} ({org.slug}).")


def register(app: Flask) -> None:
    """Attach the command groups to ``app.cli``."""
    app.cli.add_command(user_cli)
    app.cli.add_command(org_cli)
