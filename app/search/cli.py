"""``flask search reindex``, ``flask search check`` and ``flask search drain``."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.search import rebuild
from app.search.indexing import drain

search_cli = AppGroup("search", help="Full-text search index.")


@search_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the whole index from the database."""

    app = current_app._get_current_object()
    total = rebuild.expected_total(app)
    started = time.perf_counter()
    with click.progressbar(length=total, label="Indexing", show_pos=True) as bar:
        counts = rebuild.reindex(app, progress=bar.update)
    elapsed = time.perf_counter() - started
    for kind, count in sorted(counts.items()):
        click.echo(f"  {kind:<14} {count:>8}")
    click.echo(
        f"Indexed {sum(counts.values())} documents in {elapsed:.1f}s ({app.config.get('SEARCH_BACKEND') or 'whoosh'})."
    )


@search_cli.command("check")
def check_command() -> None:
    """Compare index and database counts; exit status 1 when they differ.

    Changes still queued for the index (a process killed between its commit and its
    index write, a failed write waiting for its retry) are counted and named: the
    retry applies them on its own, or ``flask search drain`` does now; a rebuild is
    only needed when nothing is queued and the counts still differ.
    """

    app = current_app._get_current_object()
    expected, indexed = rebuild.check(app)
    queued = rebuild.queued(app)
    differs = False
    click.echo(f"  {'kind':<14} {'database':>9} {'index':>9}")
    for kind in sorted(set(expected) | set(indexed)):
        mark = "" if expected.get(kind, 0) == indexed.get(kind, 0) else "  <- differs"
        differs = differs or bool(mark)
        click.echo(f"  {kind:<14} {expected.get(kind, 0):>9} {indexed.get(kind, 0):>9}{mark}")
    if queued:
        click.echo(
            f"{queued} change(s) queued for the index: they are retried on their own, "
            "or run `flask search drain` to apply them now.",
            err=True,
        )
    if differs or queued:
        if not queued:
            click.echo("The index differs from the database: run `flask search reindex`.", err=True)
        raise SystemExit(1)
    click.echo("The index matches the database.")


@search_cli.command("drain")
def drain_command() -> None:
    """Apply queued index changes now (including ones waiting for a retry)."""

    result = drain(current_app._get_current_object(), limit=100_000, force=True)
    click.echo(f"Indexed {result.indexed}, removed {result.removed}, failed {result.failed}.")
    for error in result.errors:
        click.echo(error, err=True)
    if result.failed or result.errors:
        raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(search_cli)
