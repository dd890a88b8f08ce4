"""Job descriptions from the ``periodic_jobs`` hook, turned into schedulable jobs.

APScheduler's triggers own the calendar arithmetic (cron fields, intervals, time
zones); this module only asks them for fire times. Interval triggers all start from
one fixed instant (:data:`EPOCH`), so every worker on every host computes the same
grid of slots for a job, which is what lets the ``job_run`` claim make a run happen
once: two workers that agree on the slot race for the same unique row.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from app.plugins import plugin_manager

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,99}$")
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_STALE_AFTER = 3600
# How far back to look for a cron job's latest slot before giving up (a yearly job).
MAX_LOOKBACK = timedelta(days=800)


class JobDefinitionError(ValueError):
    """A ``periodic_jobs`` description that cannot be scheduled (named in the message)."""


@dataclass(frozen=True)
class Job:
    """One periodic job: what to call and when.

    ``max_attempts`` counts the first try; ``stale_after`` is how long a claimed run
    may stay unfinished before it is taken for abandoned (its worker was killed) and
    tried again.
    """

    name: str
    func: Callable[..., Any]
    trigger: BaseTrigger
    schedule: str
    description: str = ""
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    stale_after: int = DEFAULT_STALE_AFTER

    def call(self, app: Flask) -> Any:
        """Call the job's function with the app when it takes an argument."""
        return self.func(app) if _wants_argument(self.func) else self.func()

    def latest_slot(self, now: datetime) -> datetime | None:
        """The job's most recent scheduled time at or before ``now`` (aware UTC), or
        ``None`` when it has none yet."""
        return latest_fire_time(self.trigger, now)


def _wants_argument(func: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters
    )


def latest_fire_time(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The trigger's last fire time at or before ``now``.

    Triggers only answer "the next fire time after"; so look back a window that
    doubles until it holds a fire time, then walk forward to the last one before now.
    """
    window = timedelta(minutes=1)
    while window <= MAX_LOOKBACK:
        fire = trigger.get_next_fire_time(None, now - window)
        if fire is not None and fire <= now:
            while True:
                following = trigger.get_next_fire_time(fire, now)
                if following is None or following <= fire or following > now:
                    return fire
                fire = following
        window *= 2
    return None


def _positive_number(value: Any) -> float | None:
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value > 0 else None


def make_job(description: dict[str, Any], timezone: str = "UTC") -> Job:
    """Validate one description (see the ``periodic_jobs`` hookspec) into a :class:`Job`."""
    if isinstance(description, Job):
        return description
    if not isinstance(description, dict):
        raise JobDefinitionError(f"A periodic job must be described by a dict, not {description!r}.")
    name = description.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise JobDefinitionError(
            f"Periodic job name {name!r}: use lower-case letters, digits and . _ : - (at most 100)."
        )
    func = description.get("func")
    if not callable(func):
        raise JobDefinitionError(f"Periodic job {name!r} needs a callable 'func'.")
    every, cron = description.get("every"), description.get("cron")
    if (every is None) == (cron is None):
        raise JobDefinitionError(f"Periodic job {name!r} needs exactly one of 'every' (seconds) or 'cron'.")
    if every is not None:
        seconds = _positive_number(every)
        if seconds is None:
            raise JobDefinitionError(f"Periodic job {name!r}: 'every' must be a positive number of seconds.")
        trigger: BaseTrigger = IntervalTrigger(seconds=seconds, start_date=EPOCH, timezone=UTC)
        schedule = f"every {seconds:g}s"
    else:
        try:
            trigger = CronTrigger.from_crontab(str(cron), timezone=timezone)
        except LookupError:  # zoneinfo's "no such zone"
            raise JobDefinitionError(
                f"JOBS_TIMEZONE {timezone!r} is not a time zone (e.g. UTC, Europe/Berlin)."
            ) from None
        except ValueError as error:
            raise JobDefinitionError(
                f"Periodic job {name!r}: bad cron expression {cron!r}: {error}"
            ) from None
        schedule = f"cron {cron}" + ("" if timezone == "UTC" else f" ({timezone})")
    limits = {}
    for key, default in (("max_attempts", DEFAULT_MAX_ATTEMPTS), ("stale_after", DEFAULT_STALE_AFTER)):
        value = description.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise JobDefinitionError(f"Periodic job {name!r}: {key!r} must be a whole number of at least 1.")
        limits[key] = value
    text = description.get("description") or _summary(inspect.getdoc(func) or "")
    return Job(name=name, func=func, trigger=trigger, schedule=schedule, description=str(text), **limits)


def _summary(doc: str) -> str:
    """The docstring's first sentence, for ``flask jobs list``."""
    paragraph = " ".join(doc.split("\n\n", 1)[0].split())
    return paragraph.split(". ", 1)[0].rstrip(".")[:120]


def collect_jobs(app: Flask) -> dict[str, Job]:
    """Every job the app's features and plug-ins register, by name."""
    timezone = str(app.config.get("JOBS_TIMEZONE") or "UTC")
    jobs: dict[str, Job] = {}
    for descriptions in plugin_manager(app).hook.periodic_jobs(app=app):
        for description in descriptions or []:
            job = make_job(description, timezone)
            if job.name in jobs:
                raise JobDefinitionError(f"Two periodic jobs are named {job.name!r}.")
            jobs[job.name] = job
    return dict(sorted(jobs.items()))
