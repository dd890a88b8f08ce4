"""Fixtures for the observability tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from app.observability.middleware import REQUEST_LOGGER


@pytest.fixture(autouse=True)
def request_logger_enabled() -> Iterator[None]:
    """Alembic's ``env.py`` runs ``logging.config.fileConfig``, which disables every
    logger that exists by then; a migration test earlier in the same worker process
    would leave the request logger silent here."""
    logger = logging.getLogger(REQUEST_LOGGER)
    disabled = logger.disabled
    logger.disabled = False
    yield
    logger.disabled = disabled
