"""The long-running worker: APScheduler wakes it on schedule, and two worker
processes on one database still run each slot once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.jobs.definitions import make_job
from app.jobs.models import SUCCEEDED, JobRun
from app.jobs.scheduler import Worker

ROOT = Path(__file__).resolve().parents[2]


def test_the_worker_runs_a_job_on_its_schedule_and_stops_cleanly(app, db):
    ran = threading.Event()
    job = make_job({"name": "sample.tick", "func": ran.set, "every": 1})
    worker = Worker(app, {job.name: job})
    worker.start()
    try:
        assert ran.wait(timeout=30), "the scheduler never ran the job"
    finally:
        worker.stop(wait=True)
    assert not worker.scheduler.running
    db.session.rollback()
    statuses = set(db.session.scalars(sa.select(JobRun.status).where(JobRun.name == "sample.tick")))
    assert statuses == {SUCCEEDED}


def test_two_worker_processes_run_a_slot_once(app, db, tmp_path):
    """Two ``flask worker --once`` processes started together on one database: the
    yearly sample's slot is claimed by one of them only."""
    url = str(db.engine.url.render_as_string(hide_password=False))
    log = tmp_path / "calls.log"
    env = dict(
        os.environ,
        FLASK_APP="wsgi",
        GUILDHALL_CONFIG="development",
        GUILDHALL_INSTANCE=str(tmp_path / "instance"),
        DATABASE_URL=url,
        PLUGINS="tests.jobs.sample_jobs",
        SAMPLE_JOB_LOG=str(log),
        LOAD_ENTRY_POINT_PLUGINS="0",
    )
    if url.startswith("sqlite:///:memory:") or url == "sqlite://":
        pytest.skip("needs a database two processes can share")
    flask = [sys.executable, "-m", "flask", "worker", "--once"]
    processes = [
        subprocess.Popen(
            flask, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=180)[0] for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    assert len(log.read_text().splitlines()) == 1, outputs
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).where(JobRun.name == "sample.yearly")) == 1


def _served_worker_env(db, tmp_path, log):
    return dict(
        os.environ,
        FLASK_APP="wsgi",
        GUILDHALL_CONFIG="development",
        GUILDHALL_INSTANCE=str(tmp_path / "instance"),
        DATABASE_URL=db.engine.url.render_as_string(hide_password=False),
        PLUGINS="tests.jobs.sample_jobs",
        SAMPLE_JOB_LOG=str(log),
    )


def test_run_server_runs_the_jobs_beside_the_server_and_ctrl_c_stops_both(app, db, tmp_path):
    """``make run``'s server: the worker is a thread in the same process, so one Ctrl+C
    (SIGINT) ends the server and the worker, and the process exits cleanly."""
    from tests.live import free_port, wait_for

    log = tmp_path / "calls.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "run-server", "--port", str(free_port())],
        cwd=ROOT,
        env=_served_worker_env(db, tmp_path, log),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # A shell or test runner may ignore SIGINT; the server must see Ctrl+C as a terminal sends it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert wait_for(lambda: log.exists() and log.read_text().strip(), timeout=120), "no job ran"
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=60) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    db.session.rollback()
    statuses = set(db.session.scalars(sa.select(JobRun.status).where(JobRun.name == "sample.yearly")))
    assert statuses == {SUCCEEDED}
