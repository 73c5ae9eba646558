"""The report chart: how answers spread over 1-5 for each scale question, as a PNG.

matplotlib runs with the Agg backend (no display) and an explicit Figure, never pyplot's global
state, so reports drawn on several worker threads at once do not interfere.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend

from i18n import format_number, t  # noqa: E402
from services.poll_reports import Report  # noqa: E402

# Red to green, colour-blind safe enough with the labels on the bars.
COLOURS = ("#d7191c", "#fdae61", "#e0e0a0", "#a6d96a", "#1a9641")


def report_chart(report: Report, language: str) -> bytes | None:
    """A stacked bar per scale question (share of answers 1..5), or None with nothing to show."""
    scales = [] if report.total.hidden else report.total.scales
    if not scales:
        return None
    height = 1.2 + 0.7 * len(scales)
    figure = Figure(figsize=(8, height), dpi=100)
    axes = figure.add_subplot()
    names = [textwrap.fill(stat.question, 40) for stat in scales][::-1]
    lefts = [0.0] * len(scales)
    for index, value in enumerate(("1", "2", "3", "4", "5")):
        shares = [stat.distribution[value] / stat.count for stat in scales][::-1]
        axes.barh(names, shares, left=lefts, color=COLOURS[index], label=value)
        lefts = [left + share for left, share in zip(lefts, shares, strict=True)]
    for row, stat in enumerate(scales[::-1]):
        axes.text(
            1.01,
            row,
            f"{format_number(stat.mean, language, 1)} (n={stat.count})",
            va="center",
            fontsize=8,
        )
    axes.set_xlim(0, 1)
    axes.set_xlabel(t("polls.chart_axis", language))
    axes.set_title(t("polls.chart_title", language, scope=report.scope), fontsize=10)
    axes.legend(ncols=5, loc="lower center", bbox_to_anchor=(0.5, 1.08), fontsize=8, frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
