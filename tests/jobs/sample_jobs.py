"""A stand-in plug-in for the worker tests: registers its jobs through the
``periodic_jobs`` hook like any feature or plug-in.

``sample.yearly`` runs once a year (a slot that stays the same for the whole test);
it records each call in ``CALLS`` and, when ``SAMPLE_JOB_LOG`` names a file, appends a
line to it (for the test with two worker processes). ``sample.flaky`` raises while the
app's ``SAMPLE_JOB_FAILURES`` is above zero, counting it down.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from app.plugins import hookimpl

CALLS: list[str] = []
_lock = threading.Lock()


def yearly(app: Any) -> None:
    """Record that the yearly sample ran."""
    CALLS.append("yearly")
    log = os.environ.get("SAMPLE_JOB_LOG") or app.config.get("SAMPLE_JOB_LOG")
    if log:
        with _lock, open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n")


def flaky(app: Any) -> None:
    """Fail while failures are left to give."""
    CALLS.append("flaky")
    left = app.config.get("SAMPLE_JOB_FAILURES", 0)
    if left:
        app.config["SAMPLE_JOB_FAILURES"] = left - 1
        raise RuntimeError(f"sample failure, {left - 1} left")


@hookimpl
def periodic_jobs() -> list[dict]:
    return [
        {"name": "sample.yearly", "func": yearly, "cron": "0 0 1 1 *"},
        {"name": "sample.flaky", "func": flaky, "every": 3600, "max_attempts": 3},
    ]
