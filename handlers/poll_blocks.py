"""Block Kit for evaluation polls: the message people answer in, its text modal, the facilitator
forms, reminders, failure notices and reports."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from handlers import ids
from handlers.blocks import (
    Block,
    button,
    context,
    message,
    option,
    packed_lines,
    packed_sections,
    plain,
    section,
    text_input,
)
from handlers.mrkdwn import escape_within, quote
from i18n import format_number, t
from models import Poll, PollTemplate, QuestionKind, Round
from services.poll_reports import GroupResult, Report
from services.polls import LIKERT, MAX_TEXT_ANSWER, label

MAX_MESSAGE_BLOCKS = 50


def slack_date(when: datetime) -> str:
    """A date Slack shows in the reader's own time zone (the fallback is UTC)."""
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def poll_title(poll: Poll, language: str) -> str:
    return poll.title or t("polls.default_title", language)


def _answer_value(poll: Poll, key: str, value: str) -> str:
    return json.dumps({"p": poll.id, "q": key, "v": value})


def _choice_buttons(poll: Poll, item: dict[str, Any], chosen: str | None, language: str) -> Block:
    kind = QuestionKind(item["kind"])
    if kind is QuestionKind.LIKERT:
        choices = [(value, value) for value in LIKERT]
    else:
        choices = [(str(i), label(o, language)) for i, o in enumerate(item.get("options") or [])]
    buttons = []
    for value, text in choices:
        selected = value == chosen
        buttons.append(
            button(
                f"✓ {text}" if selected else text,
                f"{ids.POLL_ANSWER_PREFIX}{item['key']}:{value}",
                _answer_value(poll, item["key"], value),
                "primary" if selected else None,
            )
        )
    return {"type": "actions", "block_id": f"poll_{item['key']}", "elements": buttons}


def poll_message(
    poll: Poll, answers: dict[str, str], language: str, *, closed: bool = False
) -> dict[str, Any]:
    """The poll as one person sees it, their answers so far marked."""
    title = poll_title(poll, language)
    privacy = t("polls.anonymous_note" if poll.anonymous else "polls.attributed_note", language)
    blocks: list[Block] = [
        {"type": "header", "text": plain(title, 150)},
        section(t("polls.intro", language) + "\n" + privacy),
    ]
    has_text = False
    for number, item in enumerate(poll.questions, start=1):
        kind = QuestionKind(item["kind"])
        wording = f"*{number}. {escape_within(label(item['text'], language), 600)}*"
        chosen = answers.get(item["key"])
        if kind is QuestionKind.TEXT:
            has_text = True
            given = quote(chosen, 1500) if chosen else "_" + t("polls.not_answered", language) + "_"
            blocks.append(section(f"{wording}\n{given}"))
            continue
        if kind is QuestionKind.LIKERT:
            wording += "\n" + t("polls.scale_hint", language)
        blocks.append(section(wording))
        if not closed:
            blocks.append(_choice_buttons(poll, item, chosen, language))
        elif chosen is not None:
            shown = chosen
            if kind is QuestionKind.CHOICE:
                shown = label(item["options"][int(chosen)], language)
            blocks.append(
                context(t("polls.your_answer", language, answer=escape_within(shown, 80)))
            )
    if has_text and not closed:
        blocks.append(
            {
                "type": "actions",
                "block_id": "poll_write",
                "elements": [
                    button(
                        t("polls.write_button", language),
                        ids.POLL_WRITE,
                        json.dumps({"p": poll.id}),
                    )
                ],
            }
        )
    if closed:
        blocks.append(context(t("polls.closed_note", language)))
    else:
        saved = t("polls.saved_note", language, date=slack_date(poll.closes_at))
        blocks.append(context(saved))
    # The notification text is mrkdwn as much as a section is: the name is escaped for it.
    return message(blocks, escape_within(title, 150))


def text_modal(poll: Poll, answers: dict[str, str], language: str) -> Block:
    inputs = [
        text_input(
            f"{ids.POLL_TEXT_PREFIX}{item['key']}",
            label(item["text"], language),
            initial=answers.get(item["key"]),
            multiline=True,
            max_length=MAX_TEXT_ANSWER,
            optional=True,
        )
        for item in poll.questions
        if item["kind"] == QuestionKind.TEXT.value
    ]
    privacy = t("polls.anonymous_note" if poll.anonymous else "polls.attributed_note", language)
    return {
        "type": "modal",
        "callback_id": ids.POLL_TEXT_MODAL,
        "title": plain(t("polls.text_modal_title", language), 24),
        "submit": plain(t("common.save", language), 24),
        "close": plain(t("common.cancel", language), 24),
        "private_metadata": json.dumps({"p": poll.id}),
        "blocks": [context(privacy), *inputs],
    }


def reminder_message(poll: Poll, language: str) -> dict[str, Any]:
    text = t(
        "polls.reminder",
        language,
        title=escape_within(poll_title(poll, language), 150),
        date=slack_date(poll.closes_at),
    )
    return message([section(text)], text)


def failures_message(poll: Poll, problems: list[tuple[str, str]], language: str) -> dict[str, Any]:
    lines = [t("polls.failures_header", language, poll=poll.id, count=len(problems))]
    lines += [f"• <@{user_id}>: `{escape_within(code, 60)}`" for user_id, code in problems[:200]]
    if len(problems) > 200:
        lines.append(t("polls.failures_more", language, count=len(problems) - 200))
    return message(packed_sections(lines)[:MAX_MESSAGE_BLOCKS], lines[0])


def template_modal(language: str) -> Block:
    return {
        "type": "modal",
        "callback_id": ids.POLL_TEMPLATE_MODAL,
        "title": plain(t("polls.template_modal_title", language), 24),
        "submit": plain(t("common.save", language), 24),
        "close": plain(t("common.cancel", language), 24),
        "blocks": [
            text_input(ids.TEMPLATE_FIELDS["name"], t("polls.field_name", language), max_length=80),
            text_input(
                ids.TEMPLATE_FIELDS["questions"],
                t("polls.field_questions", language),
                multiline=True,
                max_length=3000,
                hint=t("polls.field_questions_hint", language),
                placeholder=t("polls.field_questions_placeholder", language),
            ),
        ],
    }


def send_modal(rounds: list[Round], templates: list[PollTemplate], language: str) -> Block:
    round_options = [
        option(
            t("polls.round_option", language, round=r.id, date=r.created_at),
            str(r.id),
        )
        for r in rounds
    ]
    template_options = [option(t("polls.default_title", language), "default")] + [
        option(template.name, str(template.id)) for template in templates[:99]
    ]
    select = {"type": "static_select", "action_id": ids.VALUE}
    return {
        "type": "modal",
        "callback_id": ids.POLL_SEND_MODAL,
        "title": plain(t("polls.send_modal_title", language), 24),
        "submit": plain(t("polls.send_submit", language), 24),
        "close": plain(t("common.cancel", language), 24),
        "blocks": [
            {
                "type": "input",
                "block_id": ids.POLL_SEND_FIELDS["round"],
                "label": plain(t("polls.field_round", language), 2000),
                "element": {**select, "options": round_options},
            },
            text_input(
                ids.POLL_SEND_FIELDS["tank"],
                t("polls.field_tank", language),
                max_length=4,
                optional=True,
                hint=t("polls.field_tank_hint", language),
            ),
            {
                "type": "input",
                "block_id": ids.POLL_SEND_FIELDS["template"],
                "label": plain(t("polls.field_template", language), 2000),
                "element": {
                    **select,
                    "options": template_options,
                    "initial_option": template_options[0],
                },
            },
            text_input(
                ids.POLL_SEND_FIELDS["days"],
                t("polls.field_days", language),
                initial="7",
                max_length=2,
            ),
            {
                "type": "input",
                "block_id": ids.POLL_SEND_FIELDS["options"],
                "optional": True,
                "label": plain(t("polls.field_options", language), 2000),
                "element": {
                    "type": "checkboxes",
                    "action_id": ids.VALUE,
                    "options": [option(t("polls.option_attributed", language), "attributed")],
                },
            },
        ],
    }


def _group_lines(group: GroupResult, language: str) -> list[str]:
    if group.hidden:
        return [t("polls.report_hidden", language, name=group.name, count=group.respondents)]
    lines = [t("polls.report_group", language, name=group.name, count=group.respondents)]
    if group.met_share is not None:
        lines.append(t("polls.report_met", language, percent=round(group.met_share * 100)))
    for stat in group.scales:
        distribution = " ".join(f"{value}:{count}" for value, count in stat.distribution.items())
        lines.append(
            t(
                "polls.report_scale",
                language,
                question=escape_within(stat.question, 120),
                mean=format_number(stat.mean, language, 1),
                count=stat.count,
                distribution=distribution,
            )
        )
    for choice in group.choices:
        shares = ", ".join(f"{escape_within(k, 40)}: {v}" for k, v in choice.distribution.items())
        lines.append(f"• {escape_within(choice.question, 120)}: {shares}")
    return lines


def report_message(report: Report, language: str) -> dict[str, Any]:
    title = t("polls.report_title", language, scope=escape_within(report.scope, 80))
    blocks: list[Block] = [{"type": "header", "text": plain(title, 150)}]
    if not report.polls:
        blocks.append(section(t("polls.report_empty", language)))
        return message(blocks, title)
    blocks.append(
        context(
            t(
                "polls.report_counts",
                language,
                polls=report.polls,
                asked=report.asked,
                answered=report.respondents,
                failed=report.failed,
            )
        )
    )
    # Each group, then each answer in their own words, whole: split between sections, never
    # cut inside a question's *bold*; what passes Slack's 50 blocks is counted, not dropped.
    footer = context(t("polls.report_threshold", language, minimum=report.minimum))
    budget = MAX_MESSAGE_BLOCKS - len(blocks) - 3  # the footer and two "…and N more" lines
    groups_shown = 0
    for group in [report.total, *report.groups]:
        group_blocks = packed_sections(_group_lines(group, language))
        if len(group_blocks) > budget:
            break
        blocks += group_blocks
        budget -= len(group_blocks)
        groups_shown += 1
    if groups_shown < 1 + len(report.groups):
        hidden_groups = 1 + len(report.groups) - groups_shown
        blocks.append(context(t("polls.report_more_groups", language, count=hidden_groups)))
    entries = [
        f"*{escape_within(question, 80)}*\n{quote(text, 2500)}"
        for question, text in report.total.texts
    ]
    if entries:
        groups = packed_lines([t("polls.report_texts", language), *entries])
        blocks += [section("\n".join(group)) for group in groups[:budget]]
        hidden = sum(len(group) for group in groups[budget:])
        if hidden:
            blocks.append(context(t("polls.report_more_texts", language, count=hidden)))
    blocks.append(footer)
    return message(blocks, title)
