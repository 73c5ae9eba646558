"""Block Kit for evaluation polls: the message people answer in, its text modal, the facilitator
forms, reminders, failure notices and reports."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from handlers import ids
from handlers.blocks import (
    Block,
    button,
    context,
    file_button,
    message,
    not_reached_lines,
    option,
    packed_lines,
    packed_sections,
    plain,
    search_select,
    section,
    suggestions,
    text_input,
)
from handlers.mrkdwn import as_written, escape_within, quote
from i18n import format_number, t
from models import Poll, PollTemplate, QuestionKind, Round
from services.outgoing import NotReached
from services.poll_reports import GroupResult, Report
from services.polls import LIKERT, MAX_TEXT_ANSWER, label

MAX_MESSAGE_BLOCKS = 50


def slack_date(when: datetime) -> str:
    """A date Slack shows in the reader's own time zone (the fallback is UTC)."""
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def slack_time(when: datetime) -> str:
    """A time of day Slack shows in the reader's own time zone (the fallback is UTC)."""
    return f"<!date^{int(when.timestamp())}^{{time}}|{when.strftime('%H:%M UTC')}>"


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


# Failed deliveries listed by name in the message; the rest are counted, and sent as a file.
MAX_FAILURES_LISTED = 200


def failures_message(poll: Poll, problems: list[tuple[str, str]], language: str) -> dict[str, Any]:
    lines = [t("polls.failures_header", language, poll=poll.id, count=len(problems))]
    lines += not_reached_lines(
        [NotReached(user_id, code) for user_id, code in problems],
        language,
        limit=MAX_FAILURES_LISTED,
        more_key="polls.failures_more",
    )
    return message(packed_sections(lines)[:MAX_MESSAGE_BLOCKS], lines[0])


def failures_text(poll: Poll, problems: list[tuple[str, str]], language: str) -> str | None:
    """Every failed delivery (Slack id and error), for a file; None when the message lists
    them all."""
    if len(problems) <= MAX_FAILURES_LISTED:
        return None
    lines = [t("polls.failures_header", language, poll=poll.id, count=len(problems)), ""]
    lines += [f"{user_id}: {code}" for user_id, code in problems]
    return "\n".join(lines) + "\n"


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


def round_option(round_: Round, language: str) -> Block:
    return option(
        t("polls.round_option", language, round=round_.id, date=round_.created_at), str(round_.id)
    )


DEFAULT_TEMPLATE = "default"


def _default_template(language: str) -> Block:
    return option(t("polls.default_title", language), DEFAULT_TEMPLATE)


def round_options(rounds: list[Round], more: int, language: str) -> dict[str, Any]:
    """The answer to a search in the poll form's round field (newest first)."""
    return suggestions([round_option(r, language) for r in rounds], language, more=more)


def template_options(
    templates: list[PollTemplate], more: int, query: str, language: str
) -> dict[str, Any]:
    """The answer to a search in the poll form's template field: the default evaluation (if
    it matches), then the facilitators' templates by name."""
    default = _default_template(language)
    options = [default] if query.casefold() in default["text"]["text"].casefold() else []
    options += [option(template.name, str(template.id)) for template in templates]
    return suggestions(options, language, more=more)


def send_modal(latest: Round, language: str) -> Block:
    """The form for an ad-hoc poll. Rounds and templates are searched as the facilitator types
    (there may be hundreds); the newest round and the default evaluation are chosen already."""
    return {
        "type": "modal",
        "callback_id": ids.POLL_SEND_MODAL,
        "title": plain(t("polls.send_modal_title", language), 24),
        "submit": plain(t("polls.send_submit", language), 24),
        "close": plain(t("common.cancel", language), 24),
        "blocks": [
            search_select(
                ids.POLL_SEND_FIELDS["round"],
                ids.POLL_ROUND_CHOICE,
                t("polls.field_round", language),
                t("polls.field_round_placeholder", language),
                initial=round_option(latest, language),
                hint=t("polls.field_round_hint", language),
            ),
            text_input(
                ids.POLL_SEND_FIELDS["tank"],
                t("polls.field_tank", language),
                max_length=4,
                optional=True,
                hint=t("polls.field_tank_hint", language),
            ),
            search_select(
                ids.POLL_SEND_FIELDS["template"],
                ids.POLL_TEMPLATE_CHOICE,
                t("polls.field_template", language),
                t("polls.field_template_placeholder", language),
                initial=_default_template(language),
            ),
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


def _group_lines(
    group: GroupResult, language: str, user_text: Callable[[str, int], str] = escape_within
) -> list[str]:
    """A group's figures as lines; ``user_text`` makes the questions and options safe for
    where they go (escaped and shortened for mrkdwn, whole for a file)."""
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
                question=user_text(stat.question, 120),
                mean=format_number(stat.mean, language, 1),
                count=stat.count,
                distribution=distribution,
            )
        )
    for choice in group.choices:
        shares = ", ".join(f"{user_text(k, 40)}: {v}" for k, v in choice.distribution.items())
        lines.append(f"• {user_text(choice.question, 120)}: {shares}")
    return lines


def _counts(report: Report, language: str) -> str:
    return t(
        "polls.report_counts",
        language,
        polls=report.polls,
        asked=report.asked,
        answered=report.respondents,
        failed=report.failed,
    )


def _text_entry(question: str, text: str) -> str:
    return f"*{escape_within(question, 80)}*\n{quote(text, 2500)}"


def report_message(report: Report, language: str) -> dict[str, Any]:
    """The report in Slack. Each group, then each answer in their own words, whole: split
    between sections, never cut inside a question's *bold*. What passes Slack's 50 blocks is
    counted, and a button sends the whole report as a file (``report_text``)."""
    # The header is plain text, shown as typed; the notification text is mrkdwn.
    title = t("polls.report_title", language, scope=report.scope)
    fallback = t("polls.report_title", language, scope=escape_within(report.scope, 80))
    blocks: list[Block] = [{"type": "header", "text": plain(title, 150)}]
    if not report.polls:
        blocks.append(section(t("polls.report_empty", language)))
        return message(blocks, fallback)
    blocks.append(context(_counts(report, language)))
    # Room for the footer, two "…and N more" lines and the file button.
    budget = MAX_MESSAGE_BLOCKS - len(blocks) - 4
    groups = [report.total, *report.groups]
    shown = 0
    for group in groups:
        group_blocks = packed_sections(_group_lines(group, language))
        if len(group_blocks) > budget:
            break
        blocks += group_blocks
        budget -= len(group_blocks)
        shown += 1
    if shown < len(groups):
        blocks.append(context(t("polls.report_more_groups", language, count=len(groups) - shown)))
    entries = [_text_entry(question, text) for question, text in report.total.texts]
    # An answer longer than a section can hold is shortened ("…"): the file has it whole.
    shortened = any(quote(text, 2500) != quote(text, 10**6) for _, text in report.total.texts)
    hidden = 0
    if entries:
        sections = packed_lines([t("polls.report_texts", language), *entries])
        blocks += [section("\n".join(lines)) for lines in sections[:budget]]
        hidden = len(entries) - (sum(len(lines) for lines in sections[:budget]) - 1)
        hidden = min(len(entries), max(0, hidden))
        if hidden:
            blocks.append(context(t("polls.report_more_texts", language, count=hidden)))
    if shown < len(groups) or hidden or shortened:
        blocks.append(file_button(ids.REPORT_FILE, _scope_value(report), language))
    blocks.append(context(t("polls.report_threshold", language, minimum=report.minimum)))
    return message(blocks, fallback)


def _scope_value(report: Report) -> str:
    return json.dumps({"k": report.of.kind, "v": report.of.value})


def report_text(report: Report, language: str) -> str:
    """The whole report as a text file: every group and every answer, as written (a file is
    not mrkdwn: nothing is escaped, nothing shortened)."""
    lines = [t("polls.report_title", language, scope=report.scope)]
    if not report.polls:
        return "\n".join([*lines, t("polls.report_empty", language), ""])
    lines += [_counts(report, language), ""]
    for group in [report.total, *report.groups]:
        lines += [*_group_lines(group, language, as_written), ""]
    if report.total.texts:
        lines += [t("polls.report_texts", language), ""]
    for question, text in report.total.texts:
        lines += [question, *("    " + line for line in text.splitlines()), ""]
    lines.append(t("polls.report_threshold", language, minimum=report.minimum))
    return "\n".join(lines) + "\n"
