"""``job_run``: one row per job per scheduled slot, the claim and the record at once.

The unique (``name``, ``slot``) pair is what makes a run happen once across hosts:
every worker computes the same slots from the same trigger, the first to insert the
row owns the run, and a second insert of the same pair fails and that worker skips.
The row then records the outcome (start, finish, attempts, the error of a failure)
and, for a failed run, when it may be tried again.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import utcnow
from app.extensions import db

RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
STATUSES = (RUNNING, SUCCEEDED, FAILED)


class JobRun(db.Model):
    """A claimed run of periodic job ``name`` for its scheduled time ``slot`` (UTC)."""

    __tablename__ = "job_run"
    __table_args__ = (
        sa.UniqueConstraint("name", "slot", name="uq_job_run_name_slot"),
        sa.Index("ix_job_run_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    slot: Mapped[datetime] = mapped_column(nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default=RUNNING)
    attempts: Mapped[int] = mapped_column(nullable=False, default=1)
    worker: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    started_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    def __repr__(self) -> str:
        return f"<JobRun {self.name} {self.slot:%Y-%m-%d %H:%M:%S} {self.status} x{self.attempts}>"
