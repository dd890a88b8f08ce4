from __future__ import annotations

import pytest

from tests.jobs import sample_jobs

PLUGIN = "tests.jobs.sample_jobs"


@pytest.fixture(autouse=True)
def _fresh_calls():
    sample_jobs.CALLS.clear()
    yield
    sample_jobs.CALLS.clear()
