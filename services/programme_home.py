"""The programme's figures on a facilitator's App Home: counted at most once a minute per team,
drawn on a chart uploaded once per set of figures, and the chart it replaces deleted in Slack.

**Figures reused for a minute.** The report aggregates the whole programme (0.2-1.5 s at
100,000 ideas; on SQLite the process's database lock is held meanwhile), and App Home is
rendered on every open. Each process keeps the last figures of each team for ``FRESH_FOR`` and
the Home says when they were counted; ``/collider report programme`` always counts anew. A
process whose kept figures are older than those of the chart another process has shown since
counts again at once, so two processes never take turns replacing each other's chart.

**One chart file per team and language** (``models/home_charts.py``). New figures get a new
chart, uploaded under a send key naming the figures and the file they replace
(``services.delivery.once``), so Homes opened at the same moment upload it once. The file it
replaces is retired, and deleted (files.delete) once the Home showing its successor has been
published: never before a Home that shows the new one exists. A Home another facilitator opened
a moment earlier may still point at the old file; Slack then refuses that publish and the Home
is published with the figures as text (``handlers/pipeline.py``). A delete that fails stays
recorded and is tried again by a later Home of the team, after a pause growing from a minute to
a day; a file that is gone already counts as deleted.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from i18n import t
from models.base import utcnow
from models.db import Database
from models.home_charts import (
    ShownChart,
    claim_deletion,
    current_chart,
    deleted,
    deletion_failed,
    due_deletions,
    make_current,
)
from services.delivery import Clock, DeliveryError, Posted, backoff, once
from services.outgoing import Outbound
from services.programme_report import (
    Period,
    ProgrammeReport,
    build_report,
    parse_period,
    report_digest,
)

logger = logging.getLogger(__name__)

FRESH_FOR = timedelta(seconds=60)
# Pauses after a failed delete: doubling from the first to the longest.
LONGEST_PAUSE = timedelta(days=1)
# A delete under way holds its claim this long: one whose process died is tried again then.
CLAIM_FOR = timedelta(minutes=5)


@dataclass(frozen=True)
class Figures:
    """A team's report as counted at ``counted_at`` (counting began then)."""

    report: ProgrammeReport
    digest: str
    counted_at: datetime


@dataclass(frozen=True)
class HomeFigures:
    """What a facilitator's Home shows of the programme, and what to do once it is published."""

    report: ProgrammeReport
    counted_at: datetime
    # The chart's Slack file; None when there is none to show this time (figures as text).
    chart_file_id: str | None
    # Retired chart files of the team, deleted after this Home was published.
    to_delete: tuple[str, ...] = ()


class ProgrammeHome:
    """The App Home's programme section for one process: the figures it keeps, and its clock."""

    def __init__(self, *, fresh_for: timedelta = FRESH_FOR, clock: Clock = utcnow) -> None:
        self.fresh_for = fresh_for
        self.clock = clock
        self._lock = threading.Lock()  # a leaf: held around the dict only
        self._kept: dict[str, Figures] = {}

    def figures(self, out: Outbound, team_id: str, language: str) -> HomeFigures:
        """The team's figures (kept, or counted now) with their chart in ``language``.

        Called outside any transaction: it may count, and upload."""
        now = self.clock()
        period = parse_period(None, None, now.date())
        figures = self._kept_figures(team_id, period, now) or self._count(
            out.database, team_id, period
        )
        with out.database.session() as session:
            shown = current_chart(session, team_id, language)
            due = due_deletions(session, team_id, now)
        if shown and shown.digest != figures.digest and shown.figures_at > figures.counted_at:
            # Another process has shown figures counted after ours: ours are out of date.
            figures = self._count(out.database, team_id, period)
        file_id, retired = self._chart(out, team_id, language, figures, shown)
        to_delete = tuple(dict.fromkeys([*retired, *due]))
        return HomeFigures(figures.report, figures.counted_at, file_id, to_delete)

    def published(self, out: Outbound, team_id: str, home: HomeFigures) -> None:
        """The Home showing ``home`` is published: delete the chart files it replaced."""
        for file_id in home.to_delete:
            self._delete(out, team_id, file_id)

    def _kept_figures(self, team_id: str, period: Period, now: datetime) -> Figures | None:
        with self._lock:
            kept = self._kept.get(team_id)
        if kept is None or kept.report.period != period or now - kept.counted_at >= self.fresh_for:
            return None
        return kept

    def _count(self, database: Database, team_id: str, period: Period) -> Figures:
        counted_at = self.clock()
        with database.session() as session:
            report = build_report(session, team_id, period)
        figures = Figures(report, report_digest(report), counted_at)
        with self._lock:
            self._kept[team_id] = figures  # one per team: a new day's period replaces the last
        return figures

    def _chart(
        self,
        out: Outbound,
        team_id: str,
        language: str,
        figures: Figures,
        shown: ShownChart | None,
    ) -> tuple[str | None, list[str]]:
        """The chart's file for ``figures`` (uploaded if they have none yet), and the file it
        retired, if it replaced one."""
        if shown is not None and shown.digest == figures.digest:
            return shown.file_id, []
        replaced = shown.file_id if shown is not None else "none"
        key = f"programme:{team_id}:home-chart:{language}:{figures.digest}:after:{replaced}"
        title = t("programme.report_title", language)

        def upload() -> Posted:
            chart = out.views.programme_chart(figures.report, language)
            return Posted(None, out.gateway.upload_image(chart, "programme-report.png", title))

        outcome = once(out.database, key, upload, holder=out.holder)
        if not outcome.delivered or not outcome.ts:
            logger.info(
                "no programme chart for App Home this time: %s %s", outcome.status, outcome.code
            )
            return None, []
        new = ShownChart(outcome.ts, figures.digest, figures.counted_at)  # ts: the file's id
        with out.database.session() as session:
            retired = make_current(session, team_id, language, new, self.clock())
        if retired == new.file_id:
            return None, [retired]  # figures counted later are shown already
        return new.file_id, [retired] if retired else []

    def _delete(self, out: Outbound, team_id: str, file_id: str) -> None:
        now = self.clock()
        with out.database.session() as session:
            attempt = claim_deletion(session, file_id, now, now + CLAIM_FOR)
        if attempt is None:
            return  # deleted, or being deleted, by another Home
        try:
            out.gateway.delete_file(file_id)
        except DeliveryError as error:
            pause = backoff(attempt, longest=LONGEST_PAUSE)
            pause = max(pause, timedelta(seconds=error.retry_after or 0))
            with out.database.session() as session:
                deletion_failed(session, file_id, error.code, now + pause)
            logger.warning(
                "App Home chart %s of %s not deleted (try %s: %s); tried again after %s",
                file_id,
                team_id,
                attempt,
                error.code,
                pause,
            )
            return
        with out.database.session() as session:
            deleted(session, file_id)
