from __future__ import annotations

import pytest

from config import Config
from tests.jobs import sample_jobs

# The configured plug-ins stay enabled beside the sample: on PostgreSQL the first app of
# a test process creates the tables, and every later test empties all the tables the
# metadata knows (a plug-in's included), so they must exist from the start. With
# PLUGINS= (make test-plugins-off) that is none: enabling an in-tree plug-in here would
# put its tables in the metadata, and the migrations test would then miss them.
WITH_SAMPLE = [*Config.PLUGINS, "tests.jobs.sample_jobs"]


@pytest.fixture(autouse=True)
def _fresh_calls():
    sample_jobs.CALLS.clear()
    yield
    sample_jobs.CALLS.clear()
