"""Block Kit for the programme's path: charters, experiment cards and results, stage
evaluations, strategy goals, and the programme report. Pure functions of domain objects."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from handlers.blocks import (
    Block,
    button,
    context,
    datepicker_input,
    form_modal,
    message,
    not_reached_lines,
    notice,
    option,
    packed_lines,
    packed_sections,
    plain,
    section,
    select_input,
    text_input,
    theme_field,
    theme_option,
)
from handlers.mrkdwn import escape_within, quote, truncate
from handlers.poll_blocks import slack_date, slack_time
from i18n import format_number, t
from models import (
    Charter,
    Decision,
    Experiment,
    IdeaKind,
    Stage,
    StageEvaluation,
    StageEvaluationAnswer,
    StrategyGoal,
    Theme,
)
from services import charters, experiments, stage_evaluations
from services.outgoing import MoveFailures, ResultRequestFailures
from services.programme_report import NO_GOAL, ProgrammeReport

# action_id / callback_id / block_id values, shared with handlers/programme.py.
CHARTER_OPEN = "charter_open"
CHARTER_MODAL = "charter_modal"
CHARTER_FIELDS = {"goal": "charter_goal", "roles": "charter_roles", "ground_rules": "charter_rules"}
EXPERIMENT_OPEN = "experiment_open"
EXPERIMENT_MODAL = "experiment_modal"
EXPERIMENT_FIELDS = {
    "title": "experiment_title",
    "hypothesis": "experiment_hypothesis",
    "measure": "experiment_measure",
    "target": "experiment_target",
    "who": "experiment_who",
    "starts_on": "experiment_starts_on",
    "ends_on": "experiment_ends_on",
    "costs": "experiment_costs",
    "strategy_goal_id": "experiment_goal",
    "theme_id": "experiment_theme",
}
RESULT_OPEN = "experiment_result_open"
RESULT_MODAL = "experiment_result_modal"
RESULT_FIELDS = {
    "happened": "result_happened",
    "decision": "result_decision",
    "learned": "result_learned",
}
EVALUATION_OPEN = "stage_evaluation_open"
EVALUATION_MODAL = "stage_evaluation_modal"
EVALUATION_FIELDS = {
    "gave": "evaluation_gave",
    "hard": "evaluation_hard",
    "succeeded": "evaluation_succeeded",
    "rating": "evaluation_rating",
}


def stage_label(stage: Stage, language: str) -> str:
    return t(f"pipeline.stage_{stage.value}", language)


def _metadata(**values: int) -> str:
    return json.dumps(values)


# -- charters ------------------------------------------------------------------------------------
def charter_invite(think_tank_id: int, language: str) -> list[Block]:
    """The intro's invitation to agree on a goal, roles and ground rules."""
    return [
        section(t("programme.charter_invite", language)),
        {
            "type": "actions",
            "block_id": f"charter_{think_tank_id}",
            "elements": [
                button(
                    t("programme.charter_button", language),
                    CHARTER_OPEN,
                    str(think_tank_id),
                    "primary",
                )
            ],
        },
    ]


def charter_modal(think_tank_id: int, charter: Charter | None, language: str) -> Block:
    fields = CHARTER_FIELDS
    blocks = [
        section(t("programme.charter_modal_intro", language)),
        text_input(
            fields["goal"],
            t("programme.charter_goal", language),
            initial=charter.goal if charter else None,
            multiline=True,
            max_length=charters.MAX_GOAL,
        ),
        text_input(
            fields["roles"],
            t("programme.charter_roles", language),
            initial=charter.roles if charter else None,
            multiline=True,
            max_length=charters.MAX_ROLES,
            optional=True,
        ),
        text_input(
            fields["ground_rules"],
            t("programme.charter_rules", language),
            initial=charter.ground_rules if charter else None,
            multiline=True,
            max_length=charters.MAX_RULES,
            optional=True,
        ),
    ]
    modal = form_modal(CHARTER_MODAL, t("programme.charter_title", language), blocks, language)
    modal["private_metadata"] = _metadata(t=think_tank_id)
    return modal


def _charter_text(charter: Charter, language: str) -> list[Block]:
    parts = [("programme.charter_goal", charter.goal)]
    parts += [("programme.charter_roles", charter.roles)] if charter.roles else []
    parts += [("programme.charter_rules", charter.ground_rules)] if charter.ground_rules else []
    return [section(f"*{t(key, language)}*\n{quote(text, 2000)}") for key, text in parts]


def charter_message(charter: Charter, language: str) -> dict[str, Any]:
    """The charter as posted (and pinned) in the think tank's conversation."""
    header = t("programme.charter_header", language)
    blocks: list[Block] = [
        {"type": "header", "text": plain(header, 150)},
        *_charter_text(charter, language),
        {
            "type": "actions",
            "block_id": f"charter_{charter.think_tank_id}",
            "elements": [
                button(
                    t("programme.charter_edit", language), CHARTER_OPEN, str(charter.think_tank_id)
                )
            ],
        },
    ]
    return message(blocks, header)


def charter_home_text(charter: Charter | None, language: str) -> str | None:
    """The charter's goal, as a line under the think tank on App Home."""
    if charter is None or not charter.goal:
        return None
    goal = escape_within(charter.goal, 300)
    return t("programme.home_charter_goal", language, goal=goal)


# -- experiment cards ----------------------------------------------------------------------------
def _one_button_message(text: str, block_id: str, label: str, action_id: str, value: str) -> Block:
    """A message that asks for one thing: its text, and a primary button to do it."""
    actions = [button(label, action_id, value, "primary")]
    return message(
        [section(text), {"type": "actions", "block_id": block_id, "elements": actions}], text
    )


def experiment_prompt(experiment: Experiment, language: str) -> dict[str, Any]:
    """Sent when an idea becomes an experiment: fill in the card."""
    text = t(
        "programme.experiment_prompt",
        language,
        id=experiment.id,
        title=escape_within(experiment.title, 150),
    )
    return _one_button_message(
        text,
        f"experiment_{experiment.id}",
        t("programme.experiment_fill", language),
        EXPERIMENT_OPEN,
        str(experiment.id),
    )


def _choices(items: Sequence[StrategyGoal]) -> list[Block]:
    # At most MAX_GOALS (50) strategy goals exist: all of them fit a static select.
    return [option(item.title, str(item.id)) for item in items]


EXPERIMENT_THEME_CHOICE = "experiment_theme_choice"


def experiment_modal(
    experiment: Experiment,
    goals: Sequence[StrategyGoal],
    theme: Theme | None,
    language: str,
    *,
    has_themes: bool = True,
) -> Block:
    """The experiment card's form; its theme is searched as people type (every theme, open
    or closed: there may be more than a select holds), its current one chosen."""
    fields, limits = EXPERIMENT_FIELDS, experiments
    texts = (
        ("title", limits.MAX_TITLE, False, False),
        ("hypothesis", limits.MAX_TEXT, True, False),
        ("measure", limits.MAX_TEXT, True, False),
        ("target", limits.MAX_SHORT, False, True),
        ("who", limits.MAX_TEXT, True, True),
    )
    blocks: list[Block] = [
        text_input(
            fields[name],
            t(f"programme.field_{name}", language),
            initial=getattr(experiment, name) or None,
            multiline=multiline,
            max_length=limit,
            optional=optional,
        )
        for name, limit, multiline, optional in texts
    ]
    blocks += [
        datepicker_input(
            fields["starts_on"],
            t("programme.field_starts_on", language),
            experiment.starts_on,
            True,
        ),
        datepicker_input(
            fields["ends_on"], t("programme.field_ends_on", language), experiment.ends_on, False
        ),
        text_input(
            fields["costs"],
            t("programme.field_costs", language),
            initial=experiment.costs or None,
            max_length=limits.MAX_SHORT,
            optional=True,
        ),
    ]
    if goals:
        current = str(experiment.strategy_goal_id) if experiment.strategy_goal_id else None
        blocks.append(
            select_input(
                fields["strategy_goal_id"],
                t("programme.field_goal", language),
                _choices(goals),
                current,
            )
        )
    if has_themes:
        blocks.append(
            theme_field(
                fields["theme_id"],
                EXPERIMENT_THEME_CHOICE,
                t("programme.field_theme", language),
                language,
                initial=theme_option(theme) if theme is not None else None,
            )
        )
    modal = form_modal(
        EXPERIMENT_MODAL, t("programme.experiment_title", language), blocks, language
    )
    modal["private_metadata"] = _metadata(e=experiment.id)
    return modal


def decision_label(decision: Decision, language: str) -> str:
    return t(f"programme.decision_{decision.value}", language)


def experiment_summary(experiment: Experiment, language: str) -> str:
    lines = [
        t(
            "programme.card_line",
            language,
            id=experiment.id,
            title=escape_within(experiment.title or "…", 150),
        )
    ]
    for name in ("hypothesis", "measure", "target", "who", "costs"):
        value = getattr(experiment, name)
        if value:
            label = t(f"programme.field_{name}", language)
            lines.append(f"*{label}:* {escape_within(value, 400)}")
    if experiment.ends_on:
        lines.append(
            t(
                "programme.card_dates",
                language,
                start=experiment.starts_on.isoformat() if experiment.starts_on else "…",
                end=experiment.ends_on.isoformat(),
            )
        )
    if experiment.strategy_goal is not None:
        goal = escape_within(experiment.strategy_goal.title, 200)
        lines.append(f"*{t('programme.field_goal', language)}:* {goal}")
    if experiment.decision is not None:
        lines.append(
            t(
                "programme.card_decision",
                language,
                decision=decision_label(experiment.decision, language),
            )
        )
    return "\n".join(lines)


def _card_buttons(experiment: Experiment, language: str) -> Block:
    return {
        "type": "actions",
        "block_id": f"experiment_{experiment.id}",
        "elements": [
            button(t("programme.experiment_edit", language), EXPERIMENT_OPEN, str(experiment.id)),
            button(t("programme.result_button", language), RESULT_OPEN, str(experiment.id)),
        ],
    }


def experiment_card(experiment: Experiment, language: str) -> dict[str, Any]:
    """The filled card, with buttons to edit it and to record the result."""
    summary = experiment_summary(experiment, language)
    return message(
        [
            section(summary),
            {
                "type": "actions",
                "block_id": f"experiment_{experiment.id}",
                "elements": [
                    button(
                        t("programme.experiment_edit", language),
                        EXPERIMENT_OPEN,
                        str(experiment.id),
                    ),
                    button(t("programme.result_button", language), RESULT_OPEN, str(experiment.id)),
                ],
            },
        ],
        t("programme.card_saved", language, id=experiment.id),
    )


def result_request(experiment: Experiment, language: str) -> dict[str, Any]:
    """At the end date: the owners are asked for the result."""
    text = t(
        "programme.result_request",
        language,
        title=escape_within(experiment.title, 150),
        date=experiment.ends_on.isoformat() if experiment.ends_on else "",
        measure=escape_within(experiment.measure, 400),
    )
    return _one_button_message(
        text,
        f"result_{experiment.id}",
        t("programme.result_button", language),
        RESULT_OPEN,
        str(experiment.id),
    )


def result_modal(experiment: Experiment, language: str) -> Block:
    decisions = [option(decision_label(d, language), d.value) for d in Decision]
    current = experiment.decision.value if experiment.decision else None
    blocks = [
        section(experiment_summary(experiment, language)),
        text_input(
            RESULT_FIELDS["happened"],
            t("programme.field_happened", language),
            initial=experiment.result_happened or None,
            multiline=True,
            max_length=experiments.MAX_TEXT,
        ),
        {
            **select_input(
                RESULT_FIELDS["decision"],
                t("programme.field_decision", language),
                decisions,
                current,
            ),
            "optional": False,
        },
        text_input(
            RESULT_FIELDS["learned"],
            t("programme.field_learned", language),
            initial=experiment.learned or None,
            multiline=True,
            max_length=experiments.MAX_TEXT,
            optional=True,
        ),
    ]
    modal = form_modal(RESULT_MODAL, t("programme.result_title", language), blocks, language)
    modal["private_metadata"] = _metadata(e=experiment.id)
    return modal


def experiments_list(found: Sequence[Experiment], language: str) -> dict[str, Any]:
    if not found:
        return notice(t("programme.no_experiments", language))
    header = t("programme.experiments_header", language, count=len(found))
    blocks: list[Block] = [section(f"*{header}*")]
    # Two blocks a card: 1 + 2 x 20 stays within a message's 50 blocks.
    for experiment in found[: experiments.MAX_LISTED]:
        stage = experiment.idea.stage if experiment.idea is not None else Stage.EXPERIMENT
        blocks.append(
            section(
                experiment_summary(experiment, language)
                + "\n"
                + t("programme.card_stage", language, stage=stage_label(stage, language))
            )
        )
        blocks.append(_card_buttons(experiment, language))
    return message(blocks, header)


# -- stage evaluations ---------------------------------------------------------------------------
def evaluation_invite(evaluation: StageEvaluation, title: str, language: str) -> dict[str, Any]:
    text = t(
        "programme.evaluation_invite",
        language,
        stage=stage_label(evaluation.stage, language),
        next=stage_label(evaluation.next_stage, language),
        title=escape_within(title, 150),
    )
    until = t("programme.evaluation_open_until", language, date=slack_date(evaluation.closes_at))
    return message(
        [
            section(text),
            context(f"{t('programme.evaluation_anonymous', language)} {until}"),
            {
                "type": "actions",
                "block_id": f"evaluation_{evaluation.id}",
                "elements": [
                    button(
                        t("programme.evaluation_button", language),
                        EVALUATION_OPEN,
                        str(evaluation.id),
                        "primary",
                    )
                ],
            },
        ],
        text,
    )


def evaluation_modal(
    evaluation: StageEvaluation, answer: StageEvaluationAnswer | None, language: str
) -> Block:
    fields = EVALUATION_FIELDS
    stage = stage_label(evaluation.stage, language)
    ratings = [option(value, value) for value in ("1", "2", "3", "4", "5")]
    blocks: list[Block] = [
        section(t("programme.evaluation_intro", language, stage=stage)),
        context(t("programme.evaluation_anonymous", language)),
    ]
    for name in ("gave", "hard", "succeeded"):
        blocks.append(
            text_input(
                fields[name],
                t(f"programme.q_{name}", language, stage=stage),
                initial=getattr(answer, name) if answer else None,
                multiline=True,
                max_length=stage_evaluations.MAX_ANSWER,
                optional=True,
            )
        )
    current = str(answer.rating) if answer and answer.rating else None
    blocks.append(
        {
            **select_input(fields["rating"], t("programme.q_rating", language), ratings, current),
            "optional": False,
        }
    )
    modal = form_modal(
        EVALUATION_MODAL, t("programme.evaluation_title", language), blocks, language
    )
    modal["private_metadata"] = _metadata(s=evaluation.id)
    return modal


# -- what did not go out, for the facilitator whose doing it was ---------------------------------
def move_failures_message(failures: MoveFailures) -> dict[str, Any]:
    """Whom a stage move's messages did not reach: the author's notice, the card's prompt in
    the group's conversation, the invitations to evaluate the stage (never who answered)."""
    language = failures.language
    title = escape_within(failures.idea_title, 150)
    header = t("programme.undelivered_move", language, id=failures.idea_id, title=title)
    lines = [header]
    if failures.author is not None:
        lines += [t("programme.undelivered_author", language)]
        lines += not_reached_lines([failures.author], language)
    if failures.think_tank is not None:
        reason = f"`{escape_within(failures.think_tank, 60)}`"
        lines.append(t("programme.undelivered_prompt", language, reason=reason))
    if failures.invitations is not None:
        invitations = failures.invitations
        lines.append(
            t(
                "programme.undelivered_invitations",
                language,
                count=len(invitations.not_reached),
                invited=invitations.invited,
                stage=stage_label(invitations.stage, language),
            )
        )
        lines += not_reached_lines(invitations.not_reached, language)
    blocks = packed_sections(lines)
    hint = "programme.undelivered_hint"
    if failures.invitations is not None:
        hint = "programme.undelivered_invitations_hint"
    return message([*blocks, context(t(hint, language))], header)


def result_request_failures_message(failures: ResultRequestFailures) -> dict[str, Any]:
    language = failures.language
    header = t(
        "programme.undelivered_results",
        language,
        id=failures.experiment_id,
        title=escape_within(failures.title, 150),
        count=len(failures.not_reached),
    )
    lines = [header, *not_reached_lines(failures.not_reached, language)]
    hint = context(t("programme.undelivered_results_hint", language))
    return message([*packed_sections(lines), hint], header)


# -- strategy goals ------------------------------------------------------------------------------
def goals_list(goals: Sequence[StrategyGoal], language: str) -> dict[str, Any]:
    if not goals:
        return notice(t("programme.no_goals", language))
    lines = [f"*{t('programme.goals_header', language)}*"]
    lines += [f"#{goal.id} {escape_within(goal.title, 200)}" for goal in goals]
    return notice("\n".join(lines))


# -- the programme report ------------------------------------------------------------------------
def report_lines(report: ProgrammeReport, language: str) -> list[str]:
    n = lambda value: format_number(value, language)  # noqa: E731 - a local shorthand
    decisions = ", ".join(
        f"{decision_label(d, language)} {n(count)}" for d, count in report.decisions.items()
    )
    return [
        t(
            "programme.report_ideas",
            language,
            ideas=n(report.ideas[IdeaKind.IDEA]),
            needs=n(report.ideas[IdeaKind.NEED]),
        ),
        t(
            "programme.report_tanks",
            language,
            tanks=n(report.think_tanks),
            crossing=n(report.crossing_think_tanks),
        ),
        t(
            "programme.report_experiments",
            language,
            started=n(report.experiments_started),
            finished=n(report.experiments_finished),
            decisions=decisions,
        ),
        t(
            "programme.report_pilots",
            language,
            pilots=n(report.pilots),
            adoptions=n(report.adoptions),
        ),
        t("programme.report_people", language, people=n(report.participants_total)),
    ]


def _breakdown(counts: dict[str, int], prefix: str, language: str) -> str:
    parts = []
    for key, count in sorted(counts.items(), key=lambda item: -item[1]):
        name = (
            t("programme.unknown", language) if key == "unknown" else t(f"{prefix}{key}", language)
        )
        parts.append(f"{name} {format_number(count, language)}")
    return ", ".join(parts)


# Sections the collaboration ratings may take in the programme report (about 50 months each).
MAX_RATING_BLOCKS = 20


def report_message(report: ProgrammeReport, language: str) -> dict[str, Any]:
    period = t(
        "programme.report_period",
        language,
        since=report.period.since,
        until=report.period.until,
    )
    header = t("programme.report_title", language)
    blocks: list[Block] = [
        {"type": "header", "text": plain(header, 150)},
        context(period),
        section("\n".join(report_lines(report, language))),
    ]
    if report.participants:
        blocks.append(
            section(
                t(
                    "programme.report_by_type",
                    language,
                    types=_breakdown(report.participants, "profile.org_", language),
                )
            )
        )
    if any(key != "unknown" for key in report.roles):
        blocks.append(
            section(
                t(
                    "programme.report_by_role",
                    language,
                    roles=_breakdown(report.roles, "programme.role_", language),
                )
            )
        )
    if report.ratings:
        lines = [
            t(
                "programme.report_rating",
                language,
                month=cell.month,
                stage=stage_label(cell.stage, language),
                mean=format_number(cell.mean, language, 1),
                answers=cell.answers,
            )
            for cell in report.ratings
        ]
        # Every month, packed; a period of decades would pass Slack's 50 blocks: the newest
        # months are shown, the earlier counted with the way to see them (a shorter period).
        sections = packed_lines(lines)
        earlier = sum(len(group) for group in sections[:-MAX_RATING_BLOCKS])
        blocks.append(section(f"*{t('programme.report_ratings', language)}*"))
        if earlier:
            blocks.append(context(t("programme.report_more_ratings", language, count=earlier)))
        blocks += [section("\n".join(group)) for group in sections[-MAX_RATING_BLOCKS:]]
    else:
        blocks.append(context(t("programme.report_no_ratings", language)))
    if report.invitations_not_delivered:
        count = report.invitations_not_delivered
        blocks.append(context(t("programme.report_undelivered", language, count=count)))
    if report.goals:
        lines = [
            t(
                "programme.report_goal",
                language,
                goal=escape_within(row.goal, 150)
                if row.goal != NO_GOAL
                else t("programme.no_goal", language),
                ideas=format_number(row.ideas + row.needs, language),
                started=format_number(row.experiments_started, language),
                finished=format_number(row.experiments_finished, language),
            )
            for row in report.goals
        ]
        # At most MAX_GOALS (50) goals and "no goal": all of them, in a few sections.
        blocks += packed_sections([f"*{t('programme.report_goals', language)}*", *lines])
    return message(blocks, header + " · " + period)


MAX_ALT_TEXT = 2000
MAX_IMAGE_TITLE = 2000
HOME_CHART_BLOCK = "programme_chart"


def home_summary(
    report: ProgrammeReport, language: str, chart_file_id: str | None, counted_at: datetime
) -> list[Block]:
    """The facilitator's App Home: the year's figures at a glance, when they were counted (they
    are kept for a minute), and their charts when the chart's file is there (an image shown
    from a Slack file the app uploaded)."""
    lines = report_lines(report, language)
    blocks = [
        {"type": "divider"},
        section(f"*{t('programme.home_title', language)}*"),
        section("\n".join(lines)),
    ]
    if chart_file_id:
        blocks.append(chart_image(report, lines, chart_file_id, language))
    counted = t("programme.home_counted_at", language, time=slack_time(counted_at))
    return [*blocks, context(f"{counted} {t('programme.home_hint', language)}")]


def chart_image(report: ProgrammeReport, lines: list[str], file_id: str, language: str) -> Block:
    """The charts as an image block; its alt text says the same figures in words."""
    period = t(
        "programme.report_period", language, since=report.period.since, until=report.period.until
    )
    title = f"{t('programme.report_title', language)} {period}"
    # Alt text is plain text: the figures without their bold marks.
    figures = "\n".join(line.replace("*", "") for line in lines)
    return {
        "type": "image",
        "block_id": HOME_CHART_BLOCK,
        "slack_file": {"id": file_id},
        "alt_text": truncate(figures, MAX_ALT_TEXT),
        "title": plain(title, MAX_IMAGE_TITLE),
    }


def without_images(view: Block) -> Block:
    """The view with its image blocks left out: the text beside them says the same."""
    return {**view, "blocks": [b for b in view.get("blocks", []) if b.get("type") != "image"]}
