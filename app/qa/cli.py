"""``flask qa enable-category SLUG [--multiple-accepted]`` and ``disable-category``."""

from __future__ import annotations

import click
from flask import Flask

from app.core.errors import DomainError
from app.extensions import db
from app.forums.cli import _CommandLineAdmin
from app.qa.categories import category_by_slug, set_qa_category


def register(app: Flask) -> None:
    @app.cli.group("qa")
    def qa_group() -> None:
        """Questions and answers."""

    @qa_group.command("enable-category")
    @click.argument("slug")
    @click.option("--multiple-accepted", is_flag=True, help="Allow several accepted answers per question.")
    def enable_category(slug: str, multiple_accepted: bool) -> None:
        """Mark the category SLUG as Q&A: its topics become questions."""

        try:
            category = category_by_slug(slug)
            set_qa_category(_CommandLineAdmin(), category, True, multiple_accepted)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message)
        several = "several accepted answers" if multiple_accepted else "one accepted answer"
        click.echo(f"{category.name!r} is now a Q&A category ({several} per question).")

    @qa_group.command("disable-category")
    @click.argument("slug")
    def disable_category(slug: str) -> None:
        """Stop treating the category SLUG as Q&A (its votes and tags are kept)."""

        try:
            category = category_by_slug(slug)
            set_qa_category(_CommandLineAdmin(), category, False)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message)
        click.echo(f"{category.name!r} is no longer a Q&A category.")
