"""The programme chart's Slack files on facilitators' App Homes: which one each team shows in
each language, and the replaced ones still to be deleted in Slack.

A chart is an image of aggregates (counts, means of three answers or more): nothing here is
about a person. ``services/programme_home.py`` is the caller; these functions take the session
first and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Index, String, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base
from models.queries import insert_ignoring_conflict

_ERROR_LENGTH = 255


class HomeChart(Base):
    """The chart App Home shows for a team in a language: one Slack file, private to the app."""

    __tablename__ = "home_charts"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    file_id: Mapped[str] = mapped_column(String(32))
    # ``services.programme_report.report_digest`` of the figures it draws.
    digest: Mapped[str] = mapped_column(String(64))
    # When those figures were counted: a process whose kept figures are older counts again.
    figures_at: Mapped[datetime]


class RetiredHomeChart(Base):
    """A chart file a newer one replaced, until Slack has deleted it (a failed delete stays,
    to be tried again after a pause)."""

    __tablename__ = "retired_home_charts"
    __table_args__ = (
        Index("ix_retired_home_charts_team_id_next_attempt_at", "team_id", "next_attempt_at"),
    )

    file_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    retired_at: Mapped[datetime]
    # Due from then; while a delete is under way, the end of its claim.
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(_ERROR_LENGTH))


@dataclass(frozen=True)
class ShownChart:
    file_id: str
    digest: str
    figures_at: datetime


def current_chart(session: Session, team_id: str, language: str) -> ShownChart | None:
    row = session.get(HomeChart, (team_id, language))
    return ShownChart(row.file_id, row.digest, row.figures_at) if row is not None else None


def make_current(
    session: Session, team_id: str, language: str, chart: ShownChart, now: datetime
) -> str | None:
    """Show ``chart`` from now on, unless the chart shown draws figures counted later; the file
    that is not shown (the one it replaced, or ``chart`` itself) is retired, due for deletion at
    once. Returns the retired file's id (None when nothing was replaced)."""
    values = {
        "team_id": team_id,
        "language": language,
        "file_id": chart.file_id,
        "digest": chart.digest,
        "figures_at": chart.figures_at,
    }
    if insert_ignoring_conflict(session, HomeChart.__table__, values):  # type: ignore[arg-type]
        return None
    row = session.get(HomeChart, (team_id, language), with_for_update=True, populate_existing=True)
    assert row is not None  # only ever replaced, never deleted
    if row.file_id == chart.file_id:
        return None
    if row.figures_at > chart.figures_at:
        retired = chart.file_id  # lost to newer figures: never shown, so gone at once
    else:
        retired = row.file_id
        row.file_id, row.digest, row.figures_at = chart.file_id, chart.digest, chart.figures_at
    retire(session, team_id, retired, now)
    return retired


def retire(session: Session, team_id: str, file_id: str, now: datetime) -> None:
    values = {"file_id": file_id, "team_id": team_id, "retired_at": now, "next_attempt_at": now}
    insert_ignoring_conflict(session, RetiredHomeChart.__table__, values)  # type: ignore[arg-type]


def due_deletions(session: Session, team_id: str, now: datetime, limit: int = 10) -> list[str]:
    """Retired files of the team whose delete is due (never tried, or its pause is over)."""
    return list(
        session.scalars(
            select(RetiredHomeChart.file_id)
            .where(RetiredHomeChart.team_id == team_id, RetiredHomeChart.next_attempt_at <= now)
            .order_by(RetiredHomeChart.next_attempt_at)
            .limit(limit)
        )
    )


def claim_deletion(session: Session, file_id: str, now: datetime, until: datetime) -> int | None:
    """Take the delete of ``file_id`` until ``until``: which try this is, or None when it is not
    due (another process took it, or it is done)."""
    return session.execute(
        update(RetiredHomeChart)
        .where(RetiredHomeChart.file_id == file_id, RetiredHomeChart.next_attempt_at <= now)
        .values(next_attempt_at=until, attempts=RetiredHomeChart.attempts + 1)
        .returning(RetiredHomeChart.attempts)
        .execution_options(synchronize_session=False)
    ).scalar()


def deleted(session: Session, file_id: str) -> None:
    session.execute(delete(RetiredHomeChart).where(RetiredHomeChart.file_id == file_id))


def deletion_failed(session: Session, file_id: str, error: str, retry_at: datetime) -> None:
    """Record a failed delete: the file stays retired, due again at ``retry_at``."""
    session.execute(
        update(RetiredHomeChart)
        .where(RetiredHomeChart.file_id == file_id)
        .values(next_attempt_at=retry_at, error=error[:_ERROR_LENGTH])
        .execution_options(synchronize_session=False)
    )
