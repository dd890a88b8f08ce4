"""Claiming, running and recording periodic job runs (the ``job_run`` table).

Exactly once per slot: a worker claims a slot by inserting its ``job_run`` row and
committing before it calls the job; the unique (name, slot) pair makes a second
worker's insert fail, and that worker skips. A failed run is retried by whichever
worker first flips it back to ``running`` with a conditional UPDATE (the row still
``failed`` with the attempt count it read), so a retry is claimed once too. Both work
the same on SQLite and PostgreSQL: they rely only on a unique constraint and on an
UPDATE's row count.

The job's own writes and the record of its success commit in one transaction: a run
marked ``succeeded`` did its work. A worker killed mid-run leaves its row ``running``;
after the job's ``stale_after`` seconds it is taken for failed and retried.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.jobs.definitions import Job
from app.jobs.models import FAILED, RUNNING, SUCCEEDED, JobRun

log = logging.getLogger("guildhall.jobs")
MAX_ERROR = 4000
ABANDONED = "abandoned: the worker stopped before the run finished"


def worker_name() -> str:
    """Who claimed a run, for people reading ``flask jobs list``."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def naive_utc(moment: datetime) -> datetime:
    """The database keeps naive UTC (see ``app.core.db.utcnow``)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def now_utc() -> datetime:
    return datetime.now(UTC)


def backoff(app: Flask, attempts: int) -> timedelta:
    """Wait before retry number ``attempts``: doubling from ``JOBS_RETRY_SECONDS``."""
    base = float(app.config.get("JOBS_RETRY_SECONDS", 30))
    ceiling = float(app.config.get("JOBS_RETRY_MAX_SECONDS", 3600))
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), ceiling))


@dataclass
class RunOutcome:
    """What one worker did with one slot: ``ran`` it (``ok`` or with ``error``)."""

    name: str
    slot: datetime
    attempt: int
    ok: bool
    error: str = ""


# --- claiming ------------------------------------------------------------------------------


def claim_slot(job: Job, slot: datetime, now: datetime) -> int | None:
    """Insert the run's row and commit; ``None`` when another worker has the slot."""
    session = db.session()
    slot = naive_utc(slot)
    exists = session.scalar(sa.select(JobRun.id).where(JobRun.name == job.name, JobRun.slot == slot))
    session.rollback()  # end the read: the insert below is the claim
    if exists is not None:
        return None
    run = JobRun(
        name=job.name, slot=slot, status=RUNNING, attempts=1, worker=worker_name(), started_at=naive_utc(now)
    )
    session.add(run)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # another worker inserted the same (name, slot) first
        return None
    return run.id


def claim_retry(run_id: int, attempts: int, now: datetime) -> bool:
    """Flip a failed run back to running, if no other worker did it first."""
    session = db.session()
    result = session.execute(
        sa.update(JobRun)
        .where(JobRun.id == run_id, JobRun.status == FAILED, JobRun.attempts == attempts)
        .values(status=RUNNING, attempts=attempts + 1, worker=worker_name(), started_at=naive_utc(now))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _latest_ids() -> sa.Select:
    """The newest slot's run of each job: only that one may be retried."""
    newest = sa.select(JobRun.name, sa.func.max(JobRun.slot).label("slot")).group_by(JobRun.name).subquery()
    return sa.select(JobRun.id).join(
        newest, sa.and_(JobRun.name == newest.c.name, JobRun.slot == newest.c.slot)
    )


def recover_abandoned(jobs: dict[str, Job], now: datetime) -> int:
    """Runs still ``running`` long after they started lost their worker: mark them
    failed, due at once, so the retry below picks them up."""
    session = db.session()
    count = 0
    rows = session.execute(
        sa.select(JobRun.id, JobRun.name, JobRun.started_at, JobRun.attempts).where(JobRun.status == RUNNING)
    ).all()
    session.rollback()
    for run_id, name, started_at, attempts in rows:
        job = jobs.get(name)
        if job is None or started_at > naive_utc(now) - timedelta(seconds=job.stale_after):
            continue
        result = session.execute(
            sa.update(JobRun)
            .where(JobRun.id == run_id, JobRun.status == RUNNING, JobRun.attempts == attempts)
            .values(
                status=FAILED, error=ABANDONED, finished_at=naive_utc(now), next_attempt_at=naive_utc(now)
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
        count += result.rowcount
    return count


# --- running -------------------------------------------------------------------------------


def run_claimed(app: Flask, job: Job, run_id: int, now: datetime) -> RunOutcome:
    """Call the job for a run this worker claimed and record how it went."""
    session = db.session()
    run = session.get(JobRun, run_id)
    outcome = RunOutcome(job.name, run.slot, run.attempts, ok=True)
    session.rollback()
    try:
        job.call(app)
        run = db.session.get(JobRun, run_id)  # the job may have ended the session's transaction
        run.status, run.finished_at, run.next_attempt_at = SUCCEEDED, naive_utc(now_utc()), None
        db.session.commit()  # the job's writes and its success, together
        return outcome
    except Exception as error:  # any failure of a job is recorded, never raised into the worker
        log.exception("periodic job %s failed (attempt %d)", job.name, outcome.attempt)
        db.session.rollback()
        outcome.ok, outcome.error = False, f"{error.__class__.__name__}: {error}"[:MAX_ERROR]
    run = db.session.get(JobRun, run_id)
    run.status, run.finished_at, run.error = FAILED, naive_utc(now_utc()), outcome.error
    run.next_attempt_at = (
        naive_utc(max(now, now_utc()) + backoff(app, run.attempts))
        if run.attempts < job.max_attempts
        else None
    )
    db.session.commit()
    return outcome


def run_slot(app: Flask, job: Job, now: datetime) -> RunOutcome | None:
    """Run the job's latest slot at ``now`` unless a worker already claimed it."""
    slot = job.latest_slot(now)
    if slot is None:
        return None
    run_id = claim_slot(job, slot, now)
    return None if run_id is None else run_claimed(app, job, run_id, now)


def due_retries(jobs: dict[str, Job], now: datetime) -> list[tuple[int, str, int]]:
    """(run id, name, attempts) of failed runs whose back-off is over: only each job's
    newest slot, since a later slot's run already does what an older one would."""
    session = db.session()
    rows = session.execute(
        sa.select(JobRun.id, JobRun.name, JobRun.attempts)
        .where(
            JobRun.status == FAILED, JobRun.next_attempt_at <= naive_utc(now), JobRun.id.in_(_latest_ids())
        )
        .order_by(JobRun.next_attempt_at)
    ).all()
    session.rollback()
    return [(i, n, a) for i, n, a in rows if n in jobs and a < jobs[n].max_attempts]


def run_pending(app: Flask, jobs: dict[str, Job], now: datetime | None = None) -> list[RunOutcome]:
    """Everything due at ``now``: each job's latest slot not yet claimed by anyone, then
    the retries whose back-off is over. What ``flask worker --once`` and the worker's
    sweep run."""
    now = now or now_utc()
    outcomes = [o for job in jobs.values() if (o := run_slot(app, job, now)) is not None]
    recover_abandoned(jobs, now)
    for run_id, name, attempts in due_retries(jobs, now):
        if claim_retry(run_id, attempts, now):
            outcomes.append(run_claimed(app, jobs[name], run_id, now))
    return outcomes


# --- reading -------------------------------------------------------------------------------


def queue_stats() -> dict[str, int]:
    """Counts for metrics and the admin dashboard (one query each, no job registry needed):

    - ``running``: runs claimed and not finished (a long job, or a killed worker's);
    - ``retrying``: jobs whose newest run failed and will be tried again;
    - ``failed``: jobs whose newest run failed and gave up (needs a person);
    - ``pending``: ``running`` + ``retrying``, the work the worker still owes.
    """
    session = db.session()
    latest_failed = sa.select(JobRun.next_attempt_at).where(
        JobRun.status == FAILED, JobRun.id.in_(_latest_ids())
    )
    rows = session.execute(latest_failed).all()
    running = (
        session.scalar(sa.select(sa.func.count()).select_from(JobRun).where(JobRun.status == RUNNING)) or 0
    )
    retrying = sum(1 for (next_at,) in rows if next_at is not None)
    failed = len(rows) - retrying
    return {"pending": running + retrying, "running": running, "retrying": retrying, "failed": failed}


def failing_runs(limit: int = 10) -> list[JobRun]:
    """The newest run of each job whose newest run failed (retrying or given up), for
    the admin dashboard: which periodic work needs a person, and the error it gave."""
    query = (
        sa.select(JobRun)
        .where(JobRun.status == FAILED, JobRun.id.in_(_latest_ids()))
        .order_by(JobRun.name)
        .limit(limit)
    )
    return list(db.session.scalars(query))


@dataclass
class JobSummary:
    job: Job
    last_run: JobRun | None
    last_failure: JobRun | None


def summaries(jobs: dict[str, Job]) -> list[JobSummary]:
    """Each job with its newest run and its newest run that failed (for ``jobs list``)."""
    session = db.session()
    result = []
    for job in jobs.values():
        newest = sa.select(JobRun).where(JobRun.name == job.name).order_by(JobRun.slot.desc()).limit(1)
        failure = (
            sa.select(JobRun)
            .where(JobRun.name == job.name, JobRun.error != "")
            .order_by(JobRun.slot.desc())
            .limit(1)
        )
        result.append(JobSummary(job, session.scalar(newest), session.scalar(failure)))
    return result


def prune_history(app: Flask, now: datetime | None = None) -> int:
    """Delete finished runs older than ``JOBS_KEEP_DAYS``, always keeping each job's
    newest run (its last outcome, and the slot a restarted worker must not repeat)."""
    now = now or now_utc()
    cutoff = naive_utc(now) - timedelta(days=int(app.config.get("JOBS_KEEP_DAYS", 14)))
    result = db.session.execute(
        sa.delete(JobRun)
        .where(JobRun.slot < cutoff, JobRun.status != RUNNING, JobRun.id.not_in(_latest_ids()))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def describe(value: Any) -> str:
    """A timestamp for the CLI, or a dash."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else "-"
