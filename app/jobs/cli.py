"""``flask worker`` (``--once`` for tests and cron) and ``flask jobs list``."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.jobs import services
from app.jobs.definitions import collect_jobs
from app.jobs.scheduler import Worker


@click.command("worker")
@click.option("--once", is_flag=True, help="Run the jobs due now (and due retries), then exit.")
@with_appcontext
def worker_command(once: bool) -> None:
    """Run every periodic job on its schedule, once per slot across all workers."""
    app: Flask = current_app._get_current_object()
    jobs = collect_jobs(app)
    if once:
        outcomes = services.run_pending(app, jobs)
        for outcome in outcomes:
            state = "ok" if outcome.ok else f"FAILED: {outcome.error}"
            click.echo(
                f"{outcome.name} (slot {services.describe(outcome.slot)}, attempt {outcome.attempt}): {state}"
            )
        if not outcomes:
            click.echo("Nothing due: every job's latest slot has already run.")
        if any(not outcome.ok for outcome in outcomes):
            raise SystemExit(1)
        return
    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    worker = Worker(app, jobs)
    worker.start()
    click.echo(f" * Guildhall worker running {len(jobs)} periodic job(s) (press CTRL+C to quit)")
    try:
        while not stopping.wait(3600):
            pass
    finally:
        click.echo(" * Worker stopping: letting runs in progress finish")
        worker.stop(wait=True)


@click.group("jobs")
def jobs_group() -> None:
    """Periodic jobs run by ``flask worker``."""


@jobs_group.command("list")
@with_appcontext
def list_command() -> None:
    """Each periodic job with its schedule, last run and last failure."""
    jobs = collect_jobs(current_app._get_current_object())
    if not jobs:
        click.echo("No periodic jobs are registered (features and plug-ins add them via periodic_jobs).")
        return
    for summary in services.summaries(jobs):
        job, last, failure = summary.job, summary.last_run, summary.last_failure
        click.echo(f"{job.name}  [{job.schedule}]  {job.description}".rstrip())
        if last is None:
            click.echo("    last run: never")
        else:
            click.echo(
                f"    last run: {services.describe(last.slot)} {last.status}"
                f" (attempt {last.attempts}, finished {services.describe(last.finished_at)})"
            )
        if failure is None:
            click.echo("    last failure: none")
        else:
            first_line = (failure.error.splitlines() or [""])[0][:200]
            click.echo(f"    last failure: {services.describe(failure.slot)} {first_line}")
    stats = services.queue_stats()
    click.echo(f"running {stats['running']}, retrying {stats['retrying']}, failed {stats['failed']}")


def register(app: Flask) -> None:
    """Attach ``flask worker`` and ``flask jobs`` to the app's CLI."""
    app.cli.add_command(worker_command)
    app.cli.add_command(jobs_group)
