"""The worker's clock: APScheduler wakes it on each job's schedule.

APScheduler (3.x, well kept, no broker) fires one scheduler job per periodic job on
that job's own trigger, and one sweep every ``JOBS_SWEEP_SECONDS`` that catches up
slots missed while no worker ran and retries failed runs whose back-off is over. It
holds nothing durable: which slot ran, and who ran it, lives in the ``job_run`` table
(:mod:`app.jobs.services`), so any number of workers, on any hosts, can run side by
side and each slot still runs once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from app.jobs import services
from app.jobs.definitions import Job, collect_jobs

log = logging.getLogger("guildhall.jobs")
SWEEP_ID = "guildhall.jobs.sweep"


class Worker:
    """Runs ``app``'s periodic jobs in background threads until :meth:`stop`."""

    def __init__(self, app: Flask, jobs: dict[str, Job] | None = None) -> None:
        self.app = app
        self.jobs = collect_jobs(app) if jobs is None else jobs
        self._last_error = ""
        threads = int(app.config.get("JOBS_THREADS", 4))
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=max(threads, 1))},
            # One run per job at a time in this process; a late wake-up runs once, not
            # once per missed fire time (the slot claim dedupes across processes).
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    def start(self) -> None:
        for job in self.jobs.values():
            self.scheduler.add_job(self._fire, job.trigger, args=[job.name], id=job.name, name=job.name)
        sweep = float(self.app.config.get("JOBS_SWEEP_SECONDS", 15))
        self.scheduler.add_job(
            self._sweep,
            IntervalTrigger(seconds=sweep, timezone=UTC),
            id=SWEEP_ID,
            name="catch up and retry",
            next_run_time=datetime.now(UTC),  # catch up at start-up, not one sweep later
        )
        self.scheduler.start()
        log.info("worker started with %d periodic job(s): %s", len(self.jobs), ", ".join(self.jobs) or "none")

    def stop(self, wait: bool = True) -> None:
        """Stop waking up; with ``wait``, let runs in progress finish and record."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)

    def _fire(self, name: str) -> None:
        with self.app.app_context():
            try:
                services.run_slot(self.app, self.jobs[name], services.now_utc())
            except Exception as error:  # noqa: BLE001 - database unreachable: the sweep catches up later
                self._report(error, f"periodic job {name} could not be claimed or recorded")

    def _sweep(self) -> None:
        with self.app.app_context():
            try:
                services.run_pending(self.app, self.jobs)
            except Exception as error:  # noqa: BLE001 - logged; the next sweep tries again
                self._report(error, "the job worker's sweep failed")

    def _report(self, error: Exception, what: str) -> None:
        """Log a failure with its traceback once, not on every tick while it lasts (a
        database down, or not migrated yet)."""
        text = (f"{error.__class__.__name__}: {error}".splitlines() or [""])[0]
        if text == self._last_error:
            log.warning("%s again: %s", what, text)
            return
        self._last_error = text
        log.error("%s", what, exc_info=error)
