"""``flask worker --once`` and ``flask jobs list`` through Flask's CLI runner."""

from __future__ import annotations

import pytest

from tests.jobs.conftest import WITH_SAMPLE

pytestmark = pytest.mark.app_config(PLUGINS=WITH_SAMPLE)


def test_worker_once_runs_what_is_due_then_nothing(runner):
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "sample.yearly (slot " in result.output and "attempt 1): ok" in result.output
    again = runner.invoke(args=["worker", "--once"])
    assert again.exit_code == 0 and "Nothing due" in again.output


def test_worker_once_exits_1_and_names_the_failure(app, runner):
    app.config["SAMPLE_JOB_FAILURES"] = 1
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 1
    assert "sample.flaky" in result.output and "FAILED: RuntimeError: sample failure" in result.output


def test_jobs_list_shows_schedule_last_run_and_last_failure(app, runner):
    result = runner.invoke(args=["jobs", "list"])
    assert result.exit_code == 0
    assert "sample.flaky  [every 3600s]  Fail while failures are left to give" in result.output
    assert "last run: never" in result.output
    app.config["SAMPLE_JOB_FAILURES"] = 1
    runner.invoke(args=["worker", "--once"])
    listing = runner.invoke(args=["jobs", "list"]).output
    flaky = listing.split("sample.flaky", 1)[1].split("sample.yearly", 1)[0]
    assert (
        "failed (attempt 1" in flaky and "last failure:" in flaky and "RuntimeError: sample failure" in flaky
    )
    yearly = listing.split("sample.yearly", 1)[1]
    assert "succeeded (attempt 1" in yearly and "last failure: none" in yearly
    assert "retrying 1, failed 0" in listing


@pytest.mark.app_config(PLUGINS=[])
def test_jobs_list_with_only_the_core(runner):
    result = runner.invoke(args=["jobs", "list"])
    assert result.exit_code == 0 and "search.retry-index-writes" in result.output
