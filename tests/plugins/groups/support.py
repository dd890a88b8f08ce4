"""Helpers shared by the group tests (fixtures live in conftest.py)."""

from __future__ import annotations

import pytest

from app.plugins.groups import services
from tests.factories import make_org, make_user

# The groups plug-in on, whatever the default list says, so these tests hold before
# and after it is enabled by default.
ENABLED = pytest.mark.app_config(PLUGINS=["councils", "groups"])


def make_group(admin, name: str, leader=None, **fields):
    fields.setdefault("kind", "regional")
    fields.setdefault("region", "EMEA")
    group = services.create_group(admin, name, **fields)
    if leader is not None:
        services.appoint_leader(admin, group, leader, "organizer")
    return group


def partner(**fields):
    """A confirmed member of a partner organization (a "partner member" by default)."""
    return make_user(organization=make_org(), **fields)
