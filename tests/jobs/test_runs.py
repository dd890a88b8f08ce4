"""Claims and records: each slot runs once across workers; failures are recorded and
retried with back-off; a run whose worker vanished is retried."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.jobs import services
from app.jobs.definitions import collect_jobs
from app.jobs.models import FAILED, RUNNING, SUCCEEDED, JobRun
from tests.jobs.conftest import WITH_SAMPLE
from tests.jobs.sample_jobs import CALLS

pytestmark = pytest.mark.app_config(PLUGINS=WITH_SAMPLE, JOBS_RETRY_SECONDS=30)
# A moment after the yearly slot (1 January) and inside one hourly slot, in the future
# so the back-off arithmetic below never depends on the clock.
NOW = datetime(datetime.now(UTC).year + 1, 1, 1, 10, 0, 5, tzinfo=UTC)


def sample_jobs(app, *names):
    jobs = collect_jobs(app)
    return {name: jobs[name] for name in names or ("sample.yearly", "sample.flaky")}


def runs(db, name):
    db.session.rollback()
    return db.session.scalars(sa.select(JobRun).where(JobRun.name == name).order_by(JobRun.slot)).all()


def test_a_slot_runs_once_however_often_the_worker_looks(app, db):
    jobs = sample_jobs(app, "sample.yearly")
    services.run_pending(app, jobs, NOW)
    services.run_pending(app, jobs, NOW + timedelta(minutes=5))
    assert CALLS == ["yearly"]
    [run] = runs(db, "sample.yearly")
    assert run.status == SUCCEEDED and run.attempts == 1 and run.finished_at is not None
    assert run.slot == datetime(NOW.year, 1, 1) and run.worker


def test_two_workers_racing_for_one_slot_run_it_once(app, db):
    """Two worker threads, each with its own session and connection (two processes'
    worth of isolation on one database file, or PostgreSQL), start the sweep at the
    same instant: one claims the slot, the other skips it."""
    jobs = sample_jobs(app)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                start.wait(timeout=30)
                services.run_pending(app, jobs, NOW)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(CALLS) == ["flaky", "yearly"]
    assert len(runs(db, "sample.yearly")) == 1 and len(runs(db, "sample.flaky")) == 1


def test_the_database_refuses_a_second_claim_of_a_slot(app, db):
    """What the race above relies on when both workers pass the existence check."""
    slot = datetime(2030, 1, 1)
    db.session.add(JobRun(name="sample.yearly", slot=slot, worker="a"))
    db.session.commit()
    db.session.add(JobRun(name="sample.yearly", slot=slot, worker="b"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_failing_job_is_recorded_and_retried_after_its_back_off(app, db):
    app.config["SAMPLE_JOB_FAILURES"] = 1
    jobs = sample_jobs(app, "sample.flaky")
    [outcome] = services.run_pending(app, jobs, NOW)
    assert not outcome.ok and "sample failure" in outcome.error
    [run] = runs(db, "sample.flaky")
    assert run.status == FAILED and run.attempts == 1
    assert "RuntimeError: sample failure" in run.error
    assert run.next_attempt_at == (NOW + timedelta(seconds=30)).replace(tzinfo=None)
    assert services.queue_stats() == {"pending": 1, "running": 0, "retrying": 1, "failed": 0}

    assert services.run_pending(app, jobs, NOW + timedelta(seconds=10)) == []  # backing off
    [outcome] = services.run_pending(app, jobs, NOW + timedelta(seconds=31))
    assert outcome.ok and outcome.attempt == 2
    [run] = runs(db, "sample.flaky")
    assert run.status == SUCCEEDED and run.attempts == 2 and run.next_attempt_at is None
    assert CALLS == ["flaky", "flaky"]
    assert services.queue_stats() == {"pending": 0, "running": 0, "retrying": 0, "failed": 0}


def test_the_back_off_doubles_and_a_job_gives_up_after_max_attempts(app, db):
    app.config["SAMPLE_JOB_FAILURES"] = 10
    jobs = sample_jobs(app, "sample.flaky")  # max_attempts=3
    services.run_pending(app, jobs, NOW)
    services.run_pending(app, jobs, NOW + timedelta(seconds=30))
    [run] = runs(db, "sample.flaky")
    assert run.attempts == 2 and run.next_attempt_at == (NOW + timedelta(seconds=90)).replace(tzinfo=None)
    services.run_pending(app, jobs, NOW + timedelta(seconds=90))
    [run] = runs(db, "sample.flaky")
    assert run.status == FAILED and run.attempts == 3 and run.next_attempt_at is None
    assert services.run_pending(app, jobs, NOW + timedelta(minutes=59)) == []  # given up
    assert services.queue_stats()["failed"] == 1
    assert CALLS == ["flaky"] * 3


def test_a_failed_job_writes_nothing_and_a_successful_one_commits_with_its_record(app, db):
    from app.jobs.definitions import make_job

    def write_then(fail: bool) -> None:
        db.session.add(JobRun(name=f"written-by-job-{fail}", slot=datetime(2030, 1, 1), status=SUCCEEDED))
        db.session.flush()
        if fail:
            raise RuntimeError("after the write")

    for fail in (True, False):
        job = make_job(
            {"name": f"sample.writes-{fail}".lower(), "func": lambda f=fail: write_then(f), "every": 60}
        )
        services.run_pending(app, {job.name: job}, NOW)
    db.session.rollback()
    names = set(db.session.scalars(sa.select(JobRun.name)))
    assert "written-by-job-False" in names and "written-by-job-True" not in names


def test_a_newer_slot_supersedes_an_older_failed_run(app, db):
    """A periodic job's next run does what a retry of the previous one would."""
    app.config["SAMPLE_JOB_FAILURES"] = 1
    jobs = sample_jobs(app, "sample.flaky")
    services.run_pending(app, jobs, NOW)
    services.run_pending(app, jobs, NOW + timedelta(hours=1))  # the next slot, due before any retry
    older, newer = runs(db, "sample.flaky")
    assert older.status == FAILED and newer.status == SUCCEEDED
    assert services.run_pending(app, jobs, NOW + timedelta(hours=1, minutes=5)) == []
    assert services.queue_stats()["retrying"] == 0


def test_a_run_abandoned_by_a_killed_worker_is_retried_after_stale_after(app, db):
    jobs = sample_jobs(app, "sample.yearly")
    slot = jobs["sample.yearly"].latest_slot(NOW).replace(tzinfo=None)
    db.session.add(JobRun(name="sample.yearly", slot=slot, status=RUNNING, worker="gone:1", started_at=slot))
    db.session.commit()
    assert services.queue_stats()["running"] == 1
    assert services.run_pending(app, jobs, datetime(NOW.year, 1, 1, 0, 30, tzinfo=UTC)) == []  # may still run
    [outcome] = services.run_pending(app, jobs, datetime(NOW.year, 1, 1, 1, 0, 1, tzinfo=UTC))
    assert outcome.ok and outcome.attempt == 2
    [run] = runs(db, "sample.yearly")
    assert run.status == SUCCEEDED and services.ABANDONED in run.error
    assert CALLS == ["yearly"]


def test_pruning_keeps_each_jobs_newest_run(app, db):
    old = datetime(2000, 1, 1)
    for hour in range(3):
        db.session.add(JobRun(name="sample.flaky", slot=old + timedelta(hours=hour), status=SUCCEEDED))
    db.session.add(JobRun(name="sample.yearly", slot=old, status=FAILED, error="kept: newest"))
    db.session.commit()
    assert services.prune_history(app) == 2
    db.session.commit()
    left = {(r.name, r.slot) for r in db.session.scalars(sa.select(JobRun))}
    assert left == {("sample.flaky", old + timedelta(hours=2)), ("sample.yearly", old)}
