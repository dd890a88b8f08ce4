"""Points per reputation event and privilege thresholds: defaults in code, admin
overrides in ``qa_setting``. Reading costs one small query per request at most."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.core.errors import Invalid
from app.core.permissions import require
from app.extensions import db
from app.plugins import fire
from app.qa.models import QASetting

# (key, label, default). Points for penalties are stored negative.
POINTS = (
    ("points_question_upvoted", "Question upvoted (to its author)", 5),
    ("points_answer_upvoted", "Answer upvoted (to its author)", 10),
    ("points_answer_accepted", "Answer accepted (to its author)", 15),
    ("points_accepting_answer", "Accepting an answer (to the asker)", 2),
    ("points_downvoted", "Post downvoted (to its author)", -2),
    ("points_downvoting", "Downvoting (to the voter)", -1),
)
THRESHOLDS = (
    ("threshold_downvote", "Reputation needed to downvote", 15),
    ("threshold_close", "Reputation needed to close and reopen questions", 250),
    ("threshold_edit_others", "Reputation needed to edit others' posts", 1000),
)
DEFAULTS: dict[str, int] = {key: default for key, _, default in (*POINTS, *THRESHOLDS)}
LABELS: dict[str, str] = {key: label for key, label, _ in (*POINTS, *THRESHOLDS)}
LIMIT = 1_000_000


def all_settings() -> dict[str, int]:
    """Every setting with admin overrides applied."""
    values = dict(DEFAULTS)
    for key, value in db.session.execute(sa.select(QASetting.key, QASetting.value)):
        if key in values:
            values[key] = value
    return values


def setting(key: str) -> int:
    if key not in DEFAULTS:
        raise KeyError(key)
    stored = db.session.get(QASetting, key)
    return stored.value if stored is not None else DEFAULTS[key]


def update_settings(actor: Any, values: dict[str, Any]) -> dict[str, int]:
    """Store admin overrides. Points may be negative, thresholds may not."""
    require(actor, "category.manage")
    cleaned: dict[str, int] = {}
    for key, raw in values.items():
        if key not in DEFAULTS:
            raise Invalid(f"Unknown setting {key!r}.")
        try:
            number = int(raw)
        except (TypeError, ValueError):
            raise Invalid(f"{LABELS[key]}: enter a whole number.", field=key)
        if abs(number) > LIMIT or (key.startswith("threshold_") and number < 0):
            raise Invalid(f"{LABELS[key]}: enter a number between 0 and {LIMIT:,}.", field=key)
        cleaned[key] = number
    before = all_settings()
    for key, number in cleaned.items():
        stored = db.session.get(QASetting, key)
        if stored is None:
            db.session.add(QASetting(key=key, value=number))
        else:
            stored.value = number
    db.session.flush()
    changes = {key: (before[key], number) for key, number in cleaned.items() if before[key] != number}
    if changes:
        fire("qa_settings_changed", changes=changes, actor=actor)
    return all_settings()
