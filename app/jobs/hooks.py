"""The worker's own periodic job: keep ``job_run`` from growing without end."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.jobs import services
from app.plugins import hookimpl


def prune_job_history(app: Any) -> None:
    """Delete job runs older than JOBS_KEEP_DAYS (each job's newest run stays)."""
    services.prune_history(app)
    db.session.flush()


@hookimpl
def periodic_jobs(app: Any) -> list[dict]:
    return [{"name": "jobs.prune-history", "func": prune_job_history, "cron": "17 3 * * *"}]
