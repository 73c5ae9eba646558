"""Block Kit for the pipeline: the stage form, the author's notice, the report, App Home."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any

from handlers import ids
from handlers.blocks import (
    Block,
    context,
    form_modal,
    member_label,
    message,
    notice,
    option,
    packed_sections,
    plain,
    section,
    select_input,
    text_input,
)
from handlers.mrkdwn import escape_within, quote
from handlers.programme_blocks import charter_home_text
from i18n import t
from models import Idea, IdeaStage, OptIn, Participant, Stage, ThinkTank
from services.local_time import local_day
from services.pipeline import MAX_NOTE, PipelineSummary
from services.polls import PendingPoll

# Ideas listed by name in App Home (packed, about 15 a block); the rest are counted.
MAX_HOME_IDEAS = 200


def stage_label(stage: Stage, language: str) -> str:
    return t(f"pipeline.stage_{stage.value}", language)


def stage_modal(idea: Idea, language: str) -> Block:
    choices = [option(stage_label(stage, language), stage.value) for stage in Stage]
    stage_select = select_input(
        ids.STAGE_FIELDS["stage"], t("pipeline.field_stage", language), choices, idea.stage.value
    )
    stage_select["optional"] = False
    blocks = [
        section(
            t(
                "pipeline.modal_intro",
                language,
                title=escape_within(idea.title, 150),
                stage=stage_label(idea.stage, language),
            )
        ),
        stage_select,
        text_input(
            ids.STAGE_FIELDS["note"],
            t("pipeline.field_note", language),
            multiline=True,
            max_length=MAX_NOTE,
            optional=True,
        ),
    ]
    modal = form_modal(ids.STAGE_MODAL, t("pipeline.modal_title", language), blocks, language)
    modal["private_metadata"] = json.dumps({"idea_id": idea.id})
    return modal


def stage_moved_notice(idea: Idea, change: IdeaStage, language: str) -> dict[str, Any]:
    """The message to the author: their idea moved on."""
    text = t(
        "pipeline.moved_dm",
        language,
        title=escape_within(idea.title, 150),
        stage=stage_label(change.stage, language),
    )
    if change.note:
        text += "\n" + quote(change.note, 600)
    return notice(text)


def pipeline_blocks(summary: PipelineSummary, language: str) -> list[Block]:
    lines = [
        t("pipeline.count_line", language, stage=stage_label(stage, language), count=count)
        for stage, count in summary.per_stage.items()
    ]
    totals = t(
        "pipeline.totals",
        language,
        ideas=summary.ideas,
        participants=summary.participants,
        organisations=summary.organisations,
    )
    return [section(f"*{t('pipeline.header', language)}*\n" + "\n".join(lines)), context(totals)]


def report(summary: PipelineSummary, language: str, theme: str | None = None) -> dict[str, Any]:
    header = (
        t("pipeline.report_theme_header", language, theme=escape_within(theme, 150))
        if theme
        else t("pipeline.report_header", language)
    )
    return message([section(f"*{header}*"), *pipeline_blocks(summary, language)], header)


@dataclass(frozen=True)
class HomeSections:
    """What App Home shows; later issues add think tanks and polls as new fields."""

    language: str
    my_ideas: list[Idea]
    pipeline: PipelineSummary
    think_tanks: list[ThinkTank] = field(default_factory=list)
    participant: Participant | None = None
    polls: list[PendingPoll] = field(default_factory=list)
    # Charters of my think tanks by think tank id; the programme's figures for facilitators.
    charters: dict[int, Any] = field(default_factory=dict)
    programme: list[Block] = field(default_factory=list)
    # The person's zone: a pause ends when their day begins, which in UTC may be the day before.
    time_zone: tzinfo = UTC


def home_view(sections: HomeSections) -> Block:
    language = sections.language
    blocks: list[Block] = [
        {"type": "header", "text": plain(t("pipeline.home_title", language), 150)},
        section(f"*{t('pipeline.home_my_ideas', language)}*"),
    ]
    if not sections.my_ideas:
        blocks.append(context(t("pipeline.home_no_ideas", language)))
    # One line per idea, packed into sections: 40 ideas take three blocks, not forty.
    lines = [_home_idea(idea, language) for idea in sections.my_ideas[:MAX_HOME_IDEAS]]
    blocks += packed_sections(lines)
    if len(sections.my_ideas) > MAX_HOME_IDEAS:
        hidden = len(sections.my_ideas) - MAX_HOME_IDEAS
        blocks.append(context(t("pipeline.home_more_ideas", language, count=hidden)))
    blocks += [{"type": "divider"}, *think_tank_blocks(sections), *poll_blocks(sections)]
    blocks += [{"type": "divider"}, *pipeline_blocks(sections.pipeline, language)]
    blocks += sections.programme
    blocks += [
        {"type": "divider"},
        section(f"*{t('pipeline.home_settings', language)}*"),
        context(matchmaking_status(sections.participant, language, sections.time_zone)),
        {
            "type": "actions",
            "block_id": "home_settings",
            "elements": [
                {
                    "type": "button",
                    "text": plain(t("pipeline.home_profile_button", language)),
                    "action_id": ids.HOME_PROFILE,
                    "value": "profile",
                }
            ],
        },
    ]
    return {"type": "home", "blocks": blocks}


def _home_idea(idea: Idea, language: str) -> str:
    since = idea.stages[-1].changed_at if idea.stages else idea.created_at
    return t(
        "pipeline.home_idea",
        language,
        id=idea.id,
        title=escape_within(idea.title, 150),
        stage=stage_label(idea.stage, language),
        since=since,
    )


def think_tank_blocks(sections: HomeSections) -> list[Block]:
    language = sections.language
    blocks: list[Block] = [section(f"*{t('rounds.home_think_tanks', language)}*")]
    if not sections.think_tanks:
        return [*blocks, context(t("rounds.home_no_think_tanks", language))]
    lines = []
    for tank in sections.think_tanks:
        members = ", ".join(
            member_label(member.participant, language)
            for member in tank.members
            if member.participant.forgotten_at is None
        )
        where = (
            f"<https://slack.com/app_redirect?channel={tank.conversation_id}|"
            f"{t('rounds.home_open_conversation', language)}>"
            if tank.conversation_id
            else ""
        )
        started = tank.started_at or tank.round.created_at
        lines.append(
            t(
                "rounds.home_think_tank",
                language,
                number=tank.number,
                round=tank.round_id,
                date=started,
                members=members,
                link=where,
            )
        )
        # The group's own goal under its line (the charter), when it has one.
        goal = charter_home_text(sections.charters.get(tank.id), language)
        if goal:
            lines[-1] += "\n" + goal
    return [*blocks, *packed_sections(lines)]


def matchmaking_status(participant: Participant | None, language: str, zone: tzinfo = UTC) -> str:
    if participant is None or participant.opt_in is OptIn.IN:
        return t("rounds.home_status_in", language)
    if participant.opt_in is OptIn.PAUSED and participant.paused_until:
        until = local_day(participant.paused_until, zone)
        return t("rounds.home_status_paused", language, date=until)
    return t("rounds.home_status_out", language)


def poll_blocks(sections: HomeSections) -> list[Block]:
    language = sections.language
    if not sections.polls:
        return []
    lines = []
    for poll in sections.polls:
        title = escape_within(poll.title or t("polls.default_title", language), 150)
        link = (
            f"<https://slack.com/app_redirect?channel={poll.channel}|{title}>"
            if poll.channel
            else title
        )
        key = "rounds.home_poll_answered" if poll.answered else "rounds.home_poll_open"
        lines.append(t(key, language, poll=link, date=poll.closes_at))
    return packed_sections([f"*{t('rounds.home_polls', language)}*", *lines])
