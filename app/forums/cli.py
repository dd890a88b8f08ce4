"""Forum maintenance commands: ``flask category create``, ``flask forums sync-spaces``."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask

from app.core.errors import DomainError
from app.extensions import db
from app.forums.models import Category
from app.forums.posting import slugify
from app.forums.services import create_category
from app.forums.spaces import sync_forum_spaces


class _CommandLineAdmin:
    """The actor for commands run by whoever operates the server: an administrator."""

    id = None
    role = "admin"
    is_authenticated = True
    is_anonymous = False
    is_staff = True
    is_admin = True
    is_suspended = False
    username = "command-line"


def register(app: Flask) -> None:
    """Attach the commands to ``app.cli``."""

    @app.cli.group("category")
    def category_group() -> None:
        """Manage forum categories."""

    @category_group.command("create")
    @click.argument("name")
    @click.option("--slug", help="Address slug; default: made from the name.")
    @click.option("--parent", "parent_slug", help="Slug of a top-level parent category.")
    @click.option("--description", default="", help="One line shown under the name.")
    @click.option("--position", default=0, type=int, help="Lower numbers list first.")
    @click.option("--view", "view_policy", default="everyone", show_default=True)
    @click.option("--topic", "topic_policy", default="members", show_default=True)
    @click.option("--reply", "reply_policy", default="members", show_default=True)
    def create_command(
        name, slug, parent_slug, description, position, view_policy, topic_policy, reply_policy
    ):
        """Create a category NAME. Policies: everyone, members, or a comma list of roles."""

        parent = None
        if parent_slug:
            parent = db.session.scalar(sa.select(Category).where(Category.slug == parent_slug))
            if parent is None:
                raise click.ClickException(f"No category with slug {parent_slug!r}.")
        try:
            category = create_category(
                _CommandLineAdmin(),
                name=name,
                slug=slug or slugify(name, fallback="category"),
                description=description,
                parent=parent,
                position=position,
                view_policy=view_policy,
                topic_policy=topic_policy,
                reply_policy=reply_policy,
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message)
        click.echo(f"Created category {category.name!r} at /c/{category.slug}")

    @app.cli.group("forums")
    def forums_group() -> None:
        """Forum maintenance."""

    @forums_group.command("sync-spaces")
    def sync_spaces_command() -> None:
        """Make the private category of every plug-in space (a council's forum) that
        has none yet; the worker does this every few minutes too. Safe to repeat."""
        existing = set(db.session.scalars(sa.select(Category.id).where(Category.space_type.is_not(None))))
        categories = sync_forum_spaces()
        db.session.commit()
        made = [c for c in categories if c.id not in existing]
        click.echo(f"{len(categories)} forum spaces declared; {len(made)} made now.")
