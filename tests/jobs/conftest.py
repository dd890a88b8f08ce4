from __future__ import annotations

import pytest

from config import IN_TREE_PLUGINS
from tests.jobs import sample_jobs

# The in-tree plug-ins stay enabled beside the sample: on PostgreSQL the first app of a
# test process creates the tables, and every later test empties all the tables the
# metadata knows (a plug-in's included), so they must exist from the start.
WITH_SAMPLE = [*IN_TREE_PLUGINS, "tests.jobs.sample_jobs"]


@pytest.fixture(autouse=True)
def _fresh_calls():
    sample_jobs.CALLS.clear()
    yield
    sample_jobs.CALLS.clear()
