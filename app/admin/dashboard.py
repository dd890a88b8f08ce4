"""Figures for the admin dashboard: sign-ups, active members, posts, questions answered
and the median time to a question's first answer, per day over 30 or 90 days, plus the
things waiting on someone (open flags, failed background work).

Charts are drawn by pygal from these numbers on the server, as SVG served from a
same-origin URL: no hand-written drawing code, no JavaScript on the page (the CSP is
``script-src 'self'``) and nothing fetched from elsewhere.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pygal
import sqlalchemy as sa
from pygal.style import Style

from app.accounts.models import User
from app.core.db import utcnow
from app.core.errors import NotFound
from app.core.permissions import require
from app.extensions import db
from app.forums.models import Post, Topic
from app.jobs.services import failing_runs
from app.moderation.services import open_flag_count
from app.notifications.mail import failing_mail
from app.qa.models import QACategory
from app.search.models import SearchPending

WINDOWS = (30, 90)
METRICS = {
    "signups": "Sign-ups",
    "active": "Active members (posted)",
    "posts": "Posts",
    "answered": "Questions answered",
    "first_answer": "Median hours to first answer",
}


@dataclass
class Series:
    """One metric per day, oldest first; ``total`` is the headline for the window."""

    metric: str
    label: str
    days: list[date]
    values: list[float | None]
    total: float | None


def _days(window: int, today: date) -> list[date]:
    return [today - timedelta(days=window - 1 - n) for n in range(window)]


def _since(window: int, today: date) -> datetime:
    return datetime.combine(today - timedelta(days=window - 1), datetime.min.time())


def _per_day(timestamps: list[Any], days: list[date]) -> list[float]:
    counts = dict.fromkeys(days, 0)
    for stamp in timestamps:
        if stamp is not None and stamp.date() in counts:
            counts[stamp.date()] += 1
    return [float(counts[day]) for day in days]


def _question_first_answers(since: datetime) -> list[tuple[datetime, datetime | None]]:
    """(asked at, first answered at or None) for questions asked since ``since``: topics
    in Q&A categories, answered by a visible reply from someone other than the asker."""
    first_reply = (
        sa.select(sa.func.min(Post.created_at))
        .where(
            Post.topic_id == Topic.id,
            Post.number > 1,
            Post.deleted_at.is_(None),
            Post.hidden.is_(False),
            Post.author_id != Topic.author_id,
        )
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Topic.created_at, first_reply)
        .join(QACategory, QACategory.category_id == Topic.category_id)
        .where(Topic.created_at >= since, Topic.deleted_at.is_(None))
    ).all()
    return [(asked, answered) for asked, answered in rows]


def metric_series(actor: Any, metric: str, window: int, today: date | None = None) -> Series:
    """One dashboard metric over the last ``window`` days (today included)."""
    require(actor, "admin.view")
    if metric not in METRICS or window not in WINDOWS:
        raise NotFound("No such chart.")
    today = today or utcnow().date()
    days = _days(window, today)
    since = _since(window, today)
    values: list[float | None]
    total: float | None
    if metric == "signups":
        stamps = list(db.session.scalars(sa.select(User.created_at).where(User.created_at >= since)))
        values = _per_day(stamps, days)
        total = float(len(stamps))
    elif metric == "posts":
        stamps = list(
            db.session.scalars(
                sa.select(Post.created_at).where(Post.created_at >= since, Post.deleted_at.is_(None))
            )
        )
        values = _per_day(stamps, days)
        total = float(len(stamps))
    elif metric == "active":
        rows = db.session.execute(
            sa.select(Post.author_id, Post.created_at).where(
                Post.created_at >= since, Post.deleted_at.is_(None)
            )
        ).all()
        per_day: dict[date, set[int]] = {day: set() for day in days}
        for author_id, stamp in rows:
            per_day.setdefault(stamp.date(), set()).add(author_id)
        values = [float(len(per_day[day])) for day in days]
        total = float(len({author_id for author_id, _ in rows}))
    else:
        pairs = _question_first_answers(since)
        answered = [(asked, first) for asked, first in pairs if first is not None]
        if metric == "answered":
            values = _per_day([first for _, first in answered], days)
            total = float(len(answered))
        else:
            hours_by_day: dict[date, list[float]] = {}
            for asked, first in answered:
                hours_by_day.setdefault(asked.date(), []).append((first - asked).total_seconds() / 3600)
            values = [
                round(statistics.median(hours_by_day[day]), 1) if day in hours_by_day else None
                for day in days
            ]
            every = [hours for per in hours_by_day.values() for hours in per]
            total = round(statistics.median(every), 1) if every else None
    return Series(metric=metric, label=METRICS[metric], days=days, values=values, total=total)


def chart_svg(series: Series, accent: str) -> str:
    """The series as a small bar chart (SVG text). pygal's own script reference is
    switched off: the chart is an image, and the page loads nothing from elsewhere."""
    chart = pygal.Bar(
        js=[],
        width=480,
        height=200,
        show_legend=False,
        show_minor_x_labels=False,
        x_labels_major_every=7 if len(series.days) <= 31 else 14,
        truncate_label=-1,
        margin=8,
        style=Style(
            colors=(accent,),
            background="transparent",
            plot_background="transparent",
            font_family="system-ui, sans-serif",
            label_font_size=11,
            major_label_font_size=11,
        ),
    )
    chart.x_labels = [day.strftime("%d %b") for day in series.days]
    chart.add(series.label, series.values)
    return chart.render(is_unicode=True)


@dataclass
class Attention:
    """What waits on someone: the flag queue and background work that keeps failing."""

    open_flags: int
    failing_index_jobs: int
    sample_error: str
    failing_jobs: list = field(default_factory=list)  # JobRun rows: newest run failed
    failing_mail: int = 0  # unsent email whose last send failed
    mail_error: str = ""  # the newest such failure's error


def attention(actor: Any) -> Attention:
    """The dashboard's "needs attention" panel: search-index changes being retried
    (rows with ``attempts`` > 0), periodic jobs whose newest run failed (the worker's
    ``job_run`` records), and email whose send failed and waits in ``mail_queue`` for
    the ``mail.retry`` job (count and newest error; the Email page lists them)."""
    require(actor, "admin.view")
    failing = db.session.execute(
        sa.select(sa.func.count(SearchPending.id), sa.func.max(SearchPending.last_error)).where(
            SearchPending.attempts > 0
        )
    ).one()
    mail = failing_mail(limit=1)
    return Attention(
        open_flags=open_flag_count(),
        failing_index_jobs=failing[0] or 0,
        sample_error=failing[1] or "",
        failing_jobs=failing_runs(),
        failing_mail=mail.count,
        mail_error=mail.newest_error,
    )


def dashboard(actor: Any, window: int = 30) -> dict[str, Series]:
    """Every metric for one window, for the headline figures beside the charts."""
    require(actor, "admin.view")
    if window not in WINDOWS:
        window = WINDOWS[0]
    return {metric: metric_series(actor, metric, window) for metric in METRICS}
