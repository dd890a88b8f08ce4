"""Job descriptions from the hook become schedulable jobs, or are refused clearly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.jobs.definitions import JobDefinitionError, collect_jobs, make_job
from tests.jobs.conftest import WITH_SAMPLE


def noop() -> None:
    """Do nothing."""


def test_interval_slots_are_the_same_grid_in_every_process():
    job = make_job({"name": "x.every", "func": noop, "every": 30})
    now = datetime(2030, 5, 1, 12, 0, 47, 123, tzinfo=UTC)
    assert job.latest_slot(now) == datetime(2030, 5, 1, 12, 0, 30, tzinfo=UTC)
    again = make_job({"name": "x.every", "func": noop, "every": timedelta(seconds=30)})
    assert again.latest_slot(now + timedelta(seconds=5)) == job.latest_slot(now)


def test_cron_slot_is_the_last_fire_time_at_or_before_now():
    job = make_job({"name": "x.daily", "func": noop, "cron": "15 3 * * *"})
    assert job.latest_slot(datetime(2030, 5, 1, 3, 15, tzinfo=UTC)) == datetime(2030, 5, 1, 3, 15, tzinfo=UTC)
    assert job.latest_slot(datetime(2030, 5, 1, 2, 0, tzinfo=UTC)) == datetime(2030, 4, 30, 3, 15, tzinfo=UTC)
    yearly = make_job({"name": "x.yearly", "func": noop, "cron": "0 0 1 1 *"})
    assert yearly.latest_slot(datetime(2030, 12, 31, tzinfo=UTC)) == datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("description", "message"),
    [
        ({"name": "Bad Name", "func": noop, "every": 5}, "lower-case"),
        ({"name": "x.nofunc", "every": 5}, "callable"),
        ({"name": "x.none", "func": noop}, "exactly one"),
        ({"name": "x.both", "func": noop, "every": 5, "cron": "* * * * *"}, "exactly one"),
        ({"name": "x.zero", "func": noop, "every": 0}, "positive"),
        ({"name": "x.text", "func": noop, "every": "5"}, "positive"),
        ({"name": "x.cron", "func": noop, "cron": "every day"}, "cron"),
        ({"name": "x.tries", "func": noop, "every": 5, "max_attempts": 0}, "max_attempts"),
        ("x.string", "dict"),
    ],
)
def test_a_bad_description_is_refused_naming_the_job(description, message):
    with pytest.raises(JobDefinitionError, match=message):
        make_job(description)


def test_an_unknown_time_zone_is_refused_by_name():
    with pytest.raises(JobDefinitionError, match="Mars/Base"):
        make_job({"name": "x.tz", "func": noop, "cron": "0 8 * * *"}, timezone="Mars/Base")


def test_the_description_defaults_to_the_functions_first_sentence():
    assert make_job({"name": "x.doc", "func": noop, "every": 5}).description == "Do nothing"


def test_core_jobs_register_through_the_hook(app):
    jobs = collect_jobs(app)
    assert "search.retry-index-writes" in jobs and "jobs.prune-history" in jobs


@pytest.mark.app_config(PLUGINS=WITH_SAMPLE)
def test_a_plugin_registers_its_jobs_through_the_hook(app):
    jobs = collect_jobs(app)
    assert jobs["sample.yearly"].schedule == "cron 0 0 1 1 *"
    assert jobs["sample.flaky"].schedule == "every 3600s" and jobs["sample.flaky"].max_attempts == 3


@pytest.mark.app_config(PLUGINS=[*WITH_SAMPLE, "tests.jobs.sample_jobs_twin"])
def test_two_jobs_with_one_name_stop_the_worker(app):
    with pytest.raises(JobDefinitionError, match=r"sample\.yearly"):
        collect_jobs(app)
