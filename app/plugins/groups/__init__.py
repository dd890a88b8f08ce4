"""Regional and topic user groups led by mentors (issue 23), built only on hooks.

Everything a group contributes to the rest of Guildhall goes through the hook
implementations below; the core never imports this package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.plugins import hookimpl
from app.plugins.groups import notices
from app.plugins.groups import models as _models  # noqa: F401 - the tables, for create_all and Alembic

__version__ = "0.1.0"
MIGRATIONS = Path(__file__).resolve().parent / "migrations" / "versions"


@hookimpl
def migrations_folders() -> list[str]:
    return [str(MIGRATIONS)]


@hookimpl
def notification_kinds() -> dict[str, dict]:
    return notices.notification_kinds()


@hookimpl
def notification_may_reach(user: Any, kind: str, url: str) -> bool | None:
    return notices.may_reach(user, kind, url)
