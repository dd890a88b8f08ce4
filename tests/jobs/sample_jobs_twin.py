"""A second plug-in that (wrongly) reuses a job name of ``sample_jobs``."""

from __future__ import annotations

from app.plugins import hookimpl
from tests.jobs.sample_jobs import yearly


@hookimpl
def periodic_jobs() -> list[dict]:
    return [{"name": "sample.yearly", "func": yearly, "every": 60}]
