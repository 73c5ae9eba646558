"""Block Kit for matchmaking: the match form, the preview, intros, notices and summaries."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from handlers import ids
from handlers.blocks import (
    Block,
    button,
    context,
    member_label,
    message,
    notice,
    offline_label,
    option,
    packed_lines,
    packed_sections,
    plain,
    search_select,
    section,
    suggestions,
    theme_field,
)
from handlers.mrkdwn import as_written, escape_within
from handlers.programme_blocks import charter_invite
from i18n import catalog, format_number, placeholders, t
from models import Round, ThinkTank
from services.matchmaking import MemberChoices, weak_grouping_cause
from services.outgoing import Intro, RoundSummary, Unplaced

MAX_MESSAGE_BLOCKS = 50


def _mention(user_id: str) -> str:
    return f"<@{user_id}>"


def _ratio(cohesion: float, random: float, language: str) -> str:
    return format_number(cohesion / random, language, 1) if random > 0 else "∞"


def _value(round_: Round, **extra: Any) -> str:
    return json.dumps({"r": round_.id, "v": round_.version, **extra})


def _issue_text(
    issue: dict[str, Any],
    people: dict[int, str],
    language: str,
    user_text: Callable[[str, int], str],
) -> str | None:
    """One problem the engine reported, naming the people it is about (``people``: how each
    is named where the text goes)."""
    key = f"matching.issue_{issue['code']}"
    if key not in catalog("en"):
        return None
    mentions = ", ".join(people[p] for p in issue.get("participants", []) if p in people)
    # Parameters may quote people's texts (the needs an anchored round left unused).
    params = {
        name: user_text(value, 600) if isinstance(value, str) else value
        for name, value in (issue.get("params") or {}).items()
    }
    params.setdefault("ids", mentions)
    params.setdefault("count", len(issue.get("participants", [])))
    try:
        return t(key, language, **params)
    except (KeyError, IndexError):
        return t(key, language, **{**params, **_missing_placeholders(key, params)})


def _missing_placeholders(key: str, params: dict[str, Any]) -> dict[str, str]:
    return {name: "?" for name in placeholders(catalog("en")[key]) if name not in params}


def _named(participant: Any, language: str) -> str:
    """A person in a file, where a mention would be an opaque id: their name."""
    name = participant.display_name or participant.user_id
    if participant.is_offline:
        return f"{name} ({t('importing.not_in_slack', language)})"
    return f"{name} ({participant.user_id})" if participant.display_name else name


def _member_line(
    member: Any,
    language: str,
    user_text: Callable[[str, int], str] = escape_within,
    person: Callable[[Any, str], str] = member_label,
) -> str:
    """One member: who (``person``), their organisation and the idea that placed them, user
    text made safe by ``user_text`` (escaped for mrkdwn, whole for a file)."""
    participant = member.participant
    organisation = ""
    if participant.organisation or participant.organisation_type:
        parts = [user_text(participant.organisation or "", 80)]
        if participant.organisation_type:
            parts.append(t(f"profile.org_{participant.organisation_type.value}", language))
        organisation = " (" + " · ".join(part for part in parts if part) + ")"
    idea = (
        "“" + user_text(member.idea.title, 100) + "”"
        if member.idea
        else t("rounds.no_idea", language)
    )
    return t(
        "rounds.member_line",
        language,
        member=person(participant, language),
        organisation=organisation,
        idea=idea,
    )


def _group_lines(
    tank: ThinkTank, language: str, user_text: Callable[[str, int], str] = escape_within
) -> list[str]:
    lines = [
        t(
            "rounds.group_title",
            language,
            number=tank.number,
            locked=t("rounds.locked_mark", language) if tank.locked else "",
            cohesion=format_number(tank.cohesion, language, 2),
        )
    ]
    if tank.key_terms:
        terms = ", ".join(user_text(term, 40) for term in tank.key_terms[:6])
        lines.append(t("rounds.shared_terms", language, terms=terms))
    return lines


def preview_text(round_: Round, language: str) -> str:
    """Every group of a preview with every member, as a text file (*Send everything as a
    file*, when the message could only count some groups): names, nothing escaped."""
    tanks = sorted(round_.think_tanks, key=lambda tank: tank.number)
    people = sum(len(tank.members) for tank in tanks)
    lines = [t("rounds.preview_header", language, people=people, groups=len(tanks)), ""]
    warnings = _warning_lines(round_, language, as_written, _named)
    lines += [*("! " + line for line in warnings), *([""] if warnings else [])]
    for tank in tanks:
        lines += _group_lines(tank, language, as_written)
        lines += [_member_line(member, language, as_written, _named) for member in tank.members]
        lines.append("")
    return "\n".join(lines)


def _group_sections(round_: Round, tank: ThinkTank, language: str) -> list[Block]:
    """A group: its title, terms and every member, in as many sections as that takes (never cut
    mid-name); the lock button sits on the first."""
    lines = _group_lines(tank, language)
    lines += [_member_line(member, language) for member in tank.members]
    blocks = packed_sections(lines)
    lock_key = "rounds.unlock" if tank.locked else "rounds.lock"
    blocks[0]["accessory"] = {
        "type": "button",
        "action_id": ids.ROUND_LOCK,
        "text": plain(t(lock_key, language)),
        "value": _value(round_, n=tank.number, lock=not tank.locked),
    }
    return blocks


def _compact_line(tank: ThinkTank, language: str) -> str:
    members = ", ".join(member_label(member.participant, language) for member in tank.members)
    return t("rounds.compact_group", language, number=tank.number, members=members)


def _group_blocks(
    round_: Round, tanks: list[ThinkTank], language: str, budget: int
) -> tuple[list[Block], int]:
    """Every group in full while ``budget`` blocks last; the rest one line each (members
    only); past even that, a count of the groups not shown (and how many those are)."""
    blocks: list[Block] = []
    shown = 0
    for tank in tanks:
        full = _group_sections(round_, tank, language)
        # Room kept for the compact lines of the rest and the count.
        if len(blocks) + len(full) > budget - 2:
            break
        blocks += full
        shown += 1
    rest = packed_lines([_compact_line(tank, language) for tank in tanks[shown:]])
    room = max(0, budget - len(blocks) - 1)
    blocks += [section("\n".join(group)) for group in rest[:room]]
    hidden = sum(len(group) for group in rest[room:])
    if hidden:
        blocks.append(context(t("rounds.more_groups", language, count=hidden)))
    return blocks, hidden


def _honesty_lines(round_: Round, language: str) -> list[str]:
    """Warnings a facilitator should read before confirming: weak grouping, sizes off range."""
    lines = []
    cause = weak_grouping_cause(round_)
    if cause:
        ratio = _ratio(round_.cohesion, round_.random_cohesion, language)
        lines.append(t(f"rounds.weak_{cause}", language, ratio=ratio))
    settings = round_.parameters
    low, high = settings.get("min_size"), settings.get("max_size")
    for tank in round_.think_tanks:
        size = len(tank.members)
        if high is not None and size > high:
            lines.append(
                t("rounds.over_max", language, number=tank.number, count=size, max_size=high)
            )
        elif low is not None and size < low:
            lines.append(
                t("rounds.under_min", language, number=tank.number, count=size, min_size=low)
            )
    return lines


def _warning_lines(
    round_: Round,
    language: str,
    user_text: Callable[[str, int], str] = escape_within,
    person: Callable[[Any, str], str] | None = None,
) -> list[str]:
    """Everything a facilitator should read before confirming, people named by ``person``
    (a mention, or a name for someone not in Slack)."""
    name = person or member_label
    members = [member.participant for tank in round_.think_tanks for member in tank.members]
    people = {p.id: name(p, language) for p in members + [n.participant for n in round_.notices]}
    issues = [
        line
        for issue in round_.issues
        if issue.get("code") != "pool_too_small" or round_.think_tanks
        if (line := _issue_text(issue, people, language, user_text))
    ]
    return _honesty_lines(round_, language) + issues


# Blocks the warnings may take in a preview; past them, they are counted (and in the file).
MAX_WARNING_BLOCKS = 5


def _warning_blocks(round_: Round, language: str) -> tuple[list[Block], int]:
    """The warnings, whole, in as few sections as fit; past ``MAX_WARNING_BLOCKS`` the rest is
    counted. The blocks, and how many warnings they leave out."""
    groups = packed_lines([":warning: " + line for line in _warning_lines(round_, language)])
    blocks = [section("\n".join(group)) for group in groups[:MAX_WARNING_BLOCKS]]
    hidden = sum(len(group) for group in groups[MAX_WARNING_BLOCKS:])
    if hidden:
        blocks.append(context(t("rounds.more_warnings", language, count=hidden)))
    return blocks, hidden


def preview_message(round_: Round, language: str) -> dict[str, Any]:
    """The preview a facilitator refines: groups, why, quality, and the actions."""
    tanks = round_.think_tanks
    people = sum(len(tank.members) for tank in tanks)
    settings = round_.parameters
    header = t("rounds.preview_header", language, people=people, groups=len(tanks))
    blocks: list[Block] = [{"type": "header", "text": plain(header, 150)}]
    if tanks:
        blocks.append(
            section(
                t(
                    "rounds.quality",
                    language,
                    cohesion=format_number(round_.cohesion, language, 2),
                    random=format_number(round_.random_cohesion, language, 2),
                    ratio=_ratio(round_.cohesion, round_.random_cohesion, language),
                )
            )
        )
    blocks.append(
        context(
            t(
                "rounds.parameters",
                language,
                min_size=settings.get("min_size"),
                max_size=settings.get("max_size"),
                min_distinct=settings.get("min_distinct"),
                window=settings.get("repeat_window"),
                seed=settings.get("seed"),
            )
        )
    )
    if not tanks and not round_.notices:
        blocks.append(section(t("rounds.empty_pool", language)))
    elif not tanks:
        count = len(round_.notices)
        blocks.append(
            section(t("rounds.too_few", language, count=count, min_size=settings.get("min_size")))
        )
    warnings, hidden_warnings = _warning_blocks(round_, language)
    blocks += warnings
    # 50 blocks per message; one is the actions row below.
    budget = MAX_MESSAGE_BLOCKS - 1 - len(blocks)
    group_blocks, hidden = _group_blocks(round_, tanks, language, budget)
    blocks += group_blocks
    confirm = {
        "type": "button",
        "style": "primary",
        "action_id": ids.ROUND_CONFIRM,
        "text": plain(t("rounds.confirm", language)),
        "value": _value(round_),
        "confirm": {
            "title": plain(t("rounds.confirm_title", language), 100),
            "text": plain(t("rounds.confirm_text", language, people=people), 300),
            "confirm": plain(t("rounds.confirm", language), 30),
            "deny": plain(t("common.cancel", language), 30),
        },
    }
    actions: list[Block] = [confirm] if (tanks or round_.notices) else []
    if tanks:
        actions += [
            button(t("rounds.rerun", language), ids.ROUND_RERUN, _value(round_)),
            button(t("rounds.move", language), ids.ROUND_MOVE, _value(round_)),
        ]
    if hidden or hidden_warnings:
        # What the message could only count: every group and warning, as a file.
        actions.append(button(t("common.send_file", language), ids.PREVIEW_FILE, _value(round_)))
    discard = button(t("rounds.discard", language), ids.ROUND_DISCARD, _value(round_))
    discard["style"] = "danger"
    actions.append(discard)
    blocks.append({"type": "actions", "block_id": f"round_{round_.id}", "elements": actions})
    return message(blocks, header)


def _number_input(block_id: str, label: str, initial: int, low: int, high: int) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": {
            "type": "number_input",
            "action_id": ids.VALUE,
            "is_decimal_allowed": False,
            "initial_value": str(initial),
            "min_value": str(low),
            "max_value": str(high),
        },
    }


def match_modal(language: str, has_themes: bool = False) -> Block:
    """The facilitator's match form; the theme filter appears once some theme exists, and
    searches every theme as the facilitator types (a static select stops at 100)."""
    fields = ids.MATCH_FIELDS
    theme_block: list[Block] = []
    if has_themes:
        theme_block = [
            theme_field(
                fields["theme"],
                ids.ANY_THEME_CHOICE,
                t("rounds.field_theme", language),
                language,
                hint=t("rounds.field_theme_hint", language),
            )
        ]
    blocks: list[Block] = [
        {
            "type": "input",
            "block_id": fields["since"],
            "optional": True,
            "label": plain(t("rounds.field_since", language), 2000),
            "hint": plain(t("rounds.field_since_hint", language), 2000),
            "element": {"type": "datepicker", "action_id": ids.VALUE},
        },
        *theme_block,
        {
            "type": "input",
            "block_id": fields["channel"],
            "optional": True,
            "label": plain(t("rounds.field_channel", language), 2000),
            "hint": plain(t("rounds.field_channel_hint", language), 2000),
            # Channels only: members of a DM or group DM need scopes the manifest lacks.
            "element": {
                "type": "conversations_select",
                "action_id": ids.VALUE,
                "filter": {"include": ["public", "private"], "exclude_bot_users": True},
            },
        },
        _number_input(fields["min_size"], t("rounds.field_min_size", language), 3, 2, 50),
        _number_input(fields["max_size"], t("rounds.field_max_size", language), 5, 2, 50),
        _number_input(fields["diversity"], t("rounds.field_diversity", language), 2, 0, 6),
        _number_input(fields["window"], t("rounds.field_window", language), 3, 0, 52),
        {
            "type": "input",
            "block_id": fields["options"],
            "optional": True,
            "label": plain(t("rounds.field_options", language), 2000),
            "element": {
                "type": "checkboxes",
                "action_id": ids.VALUE,
                "options": [
                    {
                        "text": plain(t("rounds.option_around_needs", language)),
                        "value": "around_needs",
                    },
                    {
                        "text": plain(t("importing.option_include_offline", language)),
                        "value": "include_offline",
                    },
                ],
            },
        },
    ]
    return {
        "type": "modal",
        "callback_id": ids.MATCH_MODAL,
        "title": plain(t("rounds.modal_title", language), 24),
        "submit": plain(t("rounds.modal_submit", language), 24),
        "close": plain(t("common.cancel", language), 24),
        "blocks": blocks,
    }


def move_modal(round_: Round, language: str) -> Block:
    """Move one person: the person is searched as the facilitator types (every member of a
    round of any size is reachable), the group is a number up to one past the last (a new
    group)."""
    last = max((tank.number for tank in round_.think_tanks), default=0)
    return {
        "type": "modal",
        "callback_id": ids.MOVE_MODAL,
        "title": plain(t("rounds.move_title", language), 24),
        "submit": plain(t("rounds.move_submit", language), 24),
        "close": plain(t("common.cancel", language), 24),
        "private_metadata": json.dumps({"r": round_.id, "v": round_.version}),
        "blocks": [
            search_select(
                ids.MOVE_FIELDS["person"],
                ids.MOVE_PERSON_CHOICE,
                t("rounds.move_person", language),
                t("rounds.move_person_placeholder", language),
                hint=t("rounds.move_person_hint", language),
            ),
            _number_input(
                ids.MOVE_FIELDS["group"],
                t("rounds.move_group", language),
                1,
                1,
                last + 1,
            ),
        ],
    }


def member_options(choices: MemberChoices, language: str) -> dict[str, Any]:
    """The answer to a search in the move form's person field: "name (#group)"."""
    options = [
        option(f"{member.name} (#{member.number})", str(member.participant_id))
        for member in choices.members
    ]
    return suggestions(options, language, more=choices.more)


def intro_message(intro: Intro) -> dict[str, Any]:
    language = intro.language
    header = t("rounds.intro_header", language, number=intro.number)
    why = (
        t(
            "rounds.intro_why",
            language,
            terms=", ".join(f"*{escape_within(term, 40)}*" for term in intro.key_terms[:6]),
        )
        if intro.key_terms
        else t("rounds.intro_why_plain", language)
    )
    lines = [t("rounds.intro_members", language)]
    for member in intro.members:
        organisation = ""
        if member.organisation or member.organisation_type:
            parts = [escape_within(member.organisation or "", 80)]
            if member.organisation_type:
                parts.append(t(f"profile.org_{member.organisation_type}", language))
            organisation = " (" + " · ".join(part for part in parts if part) + ")"
        idea = (
            "“" + escape_within(member.idea_title, 150) + "”"
            if member.idea_title
            else t("rounds.no_idea", language)
        )
        lines.append(
            t(
                "rounds.member_line",
                language,
                member=_mention(member.user_id)
                if member.user_id
                else offline_label(member.name, language),
                organisation=organisation,
                idea=idea,
            )
        )
    # Split between sections, never cut: a group of 30 needs more than 3,000 characters.
    blocks: list[Block] = [
        {"type": "header", "text": plain(header, 150)},
        section(why),
        *packed_sections(lines),
        section(t("rounds.intro_questions", language)),
        *charter_invite(intro.think_tank_id, language),
    ]
    if intro.first_poll_on:
        blocks.append(context(t("rounds.intro_poll", language, date=intro.first_poll_on)))
    return message(blocks, header)


def unplaced_message(notice_: Unplaced) -> dict[str, Any]:
    key = f"rounds.unplaced_{notice_.reason}"
    if key not in catalog("en"):
        key = "rounds.unplaced_other"
    return notice(t(key, notice_.language))


def round_summary_message(summary: RoundSummary) -> dict[str, Any]:
    language = summary.language
    lines = [
        t(
            "rounds.summary",
            language,
            round=summary.round_id,
            groups=summary.think_tanks,
            people=summary.people,
        )
    ]
    if summary.failed_groups:
        groups = ", ".join(
            f"#{number} ({escape_within(code, 40)})" for number, code in summary.failed_groups
        )
        lines.append(
            t("rounds.summary_failed", language, count=len(summary.failed_groups), groups=groups)
        )
    if summary.unreachable:
        people = ", ".join(
            f"{_mention(user)} ({escape_within(code, 40)})" for user, code in summary.unreachable
        )
        lines.append(
            t("rounds.summary_unreachable", language, count=len(summary.unreachable), people=people)
        )
    if summary.offline:
        people = ", ".join(escape_within(name, 80) for name in summary.offline)
        lines.append(t("importing.summary_offline", language, people=people))
    if summary.notices:
        lines.append(t("rounds.summary_notices", language, count=summary.notices))
    return notice("\n".join(lines))
