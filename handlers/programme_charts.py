"""Charts of the programme report, as PNG (matplotlib's Agg backend, an explicit Figure per
chart, never pyplot's global state: reports may be drawn on several threads at once)."""

from __future__ import annotations

import io
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes  # noqa: E402 - after choosing the backend
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from handlers.programme_blocks import decision_label, stage_label  # noqa: E402
from i18n import format_number, t  # noqa: E402
from models import IdeaKind  # noqa: E402
from services.programme_report import ProgrammeReport  # noqa: E402

COLOURS = ("#2b83ba", "#abdda4", "#fdae61", "#d7191c", "#5e3c99", "#1a9641", "#999999")


def _bars(axes: Axes, labels: list[str], values: list[int], title: str, language: str) -> None:
    axes.bar(labels, values, color=COLOURS[: len(values)] or COLOURS[0])
    for index, value in enumerate(values):
        axes.text(
            index, value, format_number(value, language), ha="center", va="bottom", fontsize=8
        )
    axes.set_title(title, fontsize=10)
    axes.tick_params(axis="x", labelsize=7, rotation=20)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v, language, 0)))


def draw_ideas(axes: Axes, report: ProgrammeReport, language: str) -> None:
    labels = [t("ideas.kind_idea", language), t("ideas.kind_need", language)]
    values = [report.ideas[IdeaKind.IDEA], report.ideas[IdeaKind.NEED]]
    _bars(axes, labels, values, t("programme.chart_ideas", language), language)


def draw_think_tanks(axes: Axes, report: ProgrammeReport, language: str) -> None:
    labels = [t("programme.chart_all_tanks", language), t("programme.chart_crossing", language)]
    values = [report.think_tanks, report.crossing_think_tanks]
    _bars(axes, labels, values, t("programme.chart_tanks", language), language)


def draw_experiments(axes: Axes, report: ProgrammeReport, language: str) -> None:
    labels = [t("programme.chart_started", language)]
    labels += [decision_label(decision, language) for decision in report.decisions]
    values = [report.experiments_started, *report.decisions.values()]
    _bars(axes, labels, values, t("programme.chart_experiments", language), language)


def draw_participants(axes: Axes, report: ProgrammeReport, language: str) -> None:
    items = sorted(report.participants.items(), key=lambda item: -item[1])
    labels = [
        t("programme.unknown", language) if key == "unknown" else t(f"profile.org_{key}", language)
        for key, _ in items
    ]
    _bars(axes, labels, [v for _, v in items], t("programme.chart_people", language), language)


def draw_ratings(axes: Axes, report: ProgrammeReport, language: str) -> None:
    axes.set_title(t("programme.chart_ratings", language), fontsize=10)
    axes.set_ylim(1, 5)
    months = sorted({cell.month for cell in report.ratings})
    if not months:
        axes.text(0.5, 3, t("programme.report_no_ratings", language), ha="center", fontsize=8)
        axes.set_xticks([])
        return
    for index, stage in enumerate(dict.fromkeys(cell.stage for cell in report.ratings)):
        cells = [cell for cell in report.ratings if cell.stage is stage]
        axes.plot(
            [months.index(cell.month) for cell in cells],
            [cell.mean for cell in cells],
            marker="o",
            color=COLOURS[index % len(COLOURS)],
            label=stage_label(stage, language),
        )
    axes.set_xticks(range(len(months)), months, fontsize=7, rotation=30)
    axes.legend(fontsize=7, frameon=False)


CHARTS: dict[str, Callable[[Axes, ProgrammeReport, str], None]] = {
    "ideas": draw_ideas,
    "think_tanks": draw_think_tanks,
    "experiments": draw_experiments,
    "participants": draw_participants,
    "ratings": draw_ratings,
}


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def dashboard(report: ProgrammeReport, language: str) -> bytes:
    """All charts on one page (what Slack shows)."""
    figure = Figure(figsize=(12, 7.5), dpi=100)
    figure.suptitle(
        t(
            "programme.report_period",
            language,
            since=report.period.since.isoformat(),
            until=report.period.until.isoformat(),
        ),
        fontsize=11,
    )
    for index, draw in enumerate(CHARTS.values(), start=1):
        draw(figure.add_subplot(2, 3, index), report, language)
    return _png(figure)


def chart(name: str, report: ProgrammeReport, language: str) -> bytes:
    figure = Figure(figsize=(6, 4), dpi=100)
    CHARTS[name](figure.add_subplot(), report, language)
    return _png(figure)
