"""Block Kit, built by pure functions from domain objects and a language."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from handlers import ids
from handlers.mrkdwn import escape_within, fit, quote, truncate
from i18n import LANGUAGES, t
from models import Idea, IdeaKind, OrganisationType, Participant, ProfileRole, Theme
from services.ideas import IdeaPage
from services.outgoing import NotReached
from services.stage_evaluations import CLOSED_UNSENT

Block = dict[str, Any]
MAX_SECTION = 3000


def plain(text: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def section(markdown: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(markdown, MAX_SECTION)}}


def context(markdown: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": fit(markdown, MAX_SECTION)}]}


def packed_lines(lines: Sequence[str], limit: int = MAX_SECTION) -> list[list[str]]:
    """``lines`` grouped so that each group, joined by newlines, fits in ``limit`` characters.

    A line is never split across two groups, so no name, mention or ``*bold*`` is cut; only a
    single line longer than ``limit`` is later shortened by ``fit`` (never inside an entity).
    """
    groups: list[list[str]] = []
    size = 0
    for line in lines:
        if groups and groups[-1] and size + 1 + len(line) <= limit:
            groups[-1].append(line)
            size += 1 + len(line)
        else:
            groups.append([line])
            size = len(line)
    return groups


def packed_sections(lines: Sequence[str], limit: int = MAX_SECTION) -> list[Block]:
    """``lines`` in as few sections as fit (see ``packed_lines``)."""
    return [section("\n".join(group)) for group in packed_lines(lines, limit)]


def more_line(count: int, language: str, key: str = "common.and_more", **params: Any) -> str:
    """ "…and 16 more" (and how to see them), said wherever a list is cut."""
    return t(key, language, count=count, **params)


# Our own reasons for a message that did not go out, said in words (Slack's are error codes).
OWN_REASONS = {CLOSED_UNSENT: "programme.undelivered_closed"}
# People listed by name under a message that did not reach them; the rest are counted.
MAX_NOT_REACHED = 200


def not_reached_lines(
    people: Sequence[NotReached],
    language: str,
    *,
    limit: int = MAX_NOT_REACHED,
    more_key: str = "common.and_more",
) -> list[str]:
    """One line per person a message did not reach: a mention (someone not in Slack by name,
    with the mark that others must ask them) and why; past ``limit`` the rest are counted."""
    lines = []
    for person in people[:limit]:
        if person.user_id is None:
            lines.append(f"• {offline_label(person.name, language)}")
            continue
        own = OWN_REASONS.get(person.code)
        reason = t(own, language) if own else f"`{escape_within(person.code, 60)}`"
        lines.append(f"• <@{person.user_id}>: {reason}")
    if len(people) > limit:
        lines.append(more_line(len(people) - limit, language, more_key))
    return lines


def file_button(action_id: str, value: str, language: str) -> Block:
    """The way to see all of what a message could only count ("…and 16 more"): a button
    that sends the whole as a file, in a DM with the bot."""
    send = button(t("common.send_file", language), action_id, value)
    return {"type": "actions", "block_id": action_id, "elements": [send]}


def message(blocks: list[Block], fallback: str) -> dict[str, Any]:
    """Arguments for ack/respond/chat.postMessage: blocks plus notification text.

    ``fallback`` is mrkdwn, like a section's text: Slack parses it for mentions and links, so
    any user text in it is escaped by the caller (``handlers.mrkdwn``), as in blocks, and it
    is cut as blocks are (``fit``: never inside an entity such as ``&lt;``)."""
    return {"blocks": blocks, "text": fit(fallback, 3000)}


def notice(text: str) -> dict[str, Any]:
    """A one-section message (text the bot wrote; any user text inside is already escaped)."""
    return message([section(text)], text)


def _title(idea: Idea) -> str:
    return escape_within(idea.title, 150)


def datepicker_input(block_id: str, label: str, initial: date | None, optional: bool) -> Block:
    """A form's date field (Slack submits it as YYYY-MM-DD)."""
    element: Block = {"type": "datepicker", "action_id": ids.VALUE}
    if initial:
        element["initial_date"] = initial.isoformat()
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {"type": "button", "text": plain(text), "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button


def idea_buttons(idea: Idea, language: str) -> Block:
    withdraw = button(t("ideas.withdraw_button", language), ids.WITHDRAW_IDEA, str(idea.id))
    withdraw["style"] = "danger"
    withdraw["confirm"] = {
        "title": plain(t("ideas.withdraw_confirm_title", language), 100),
        "text": plain(t("ideas.withdraw_confirm_text", language, title=idea.title), 300),
        "confirm": plain(t("ideas.withdraw_confirm_yes", language), 30),
        "deny": plain(t("common.cancel", language), 30),
        "style": "danger",
    }
    return {
        "type": "actions",
        "block_id": f"idea_actions_{idea.id}",
        "elements": [
            button(t("ideas.edit_button", language), ids.EDIT_IDEA, str(idea.id)),
            withdraw,
        ],
    }


def idea_saved(idea: Idea, language: str, *, duplicate: bool = False) -> dict[str, Any]:
    if duplicate:
        headline = t("ideas.already_saved", language, title=_title(idea))
    else:
        key = "ideas.saved_need" if idea.kind is IdeaKind.NEED else "ideas.saved_idea"
        headline = t(key, language, title=_title(idea))
    footer = t("ideas.saved_footer", language, id=idea.id)
    if idea.source_url:
        footer += " · " + t("shortcuts.from_message", language, url=idea.source_url)
    blocks = [
        section(headline + "\n" + quote(idea.body, 2000)),
        context(footer),
        idea_buttons(idea, language),
    ]
    return message(blocks, headline)


def idea_updated(idea: Idea, language: str) -> dict[str, Any]:
    return notice(t("ideas.updated", language, title=_title(idea)))


def idea_withdrawn(idea: Idea, language: str) -> dict[str, Any]:
    return notice(t("ideas.withdrawn", language, title=_title(idea)))


def _kind_label(kind: IdeaKind, language: str) -> str:
    return t("ideas.kind_need" if kind is IdeaKind.NEED else "ideas.kind_idea", language)


def idea_page(page: IdeaPage, viewer_user_id: str, language: str) -> dict[str, Any]:
    """One page of ``/ideas``: each idea with its author; the viewer's own get edit buttons."""
    query = escape_within(page.query, 200)
    header = (
        t("ideas.search_header", language, query=query)
        if query
        else t("ideas.list_header", language)
    )
    blocks: list[Block] = [section(f"*{header}*")]
    if not page.ideas:
        empty = t("ideas.none_found", language, query=query) if query else t("ideas.none", language)
        blocks.append(section(empty))
        return message(blocks, empty)
    for idea in page.ideas:
        meta = t(
            "ideas.meta",
            language,
            kind=_kind_label(idea.kind, language),
            id=idea.id,
            author=", ".join(
                [author_label(idea.author, language)]
                + [author_label(person, language) for person in page.coauthors.get(idea.id, [])]
            ),
        )
        theme = idea.challenge.title if idea.challenge else idea.theme
        if theme:
            meta += " · " + t("ideas.theme", language, theme=escape_within(theme, 100))
        blocks.append({"type": "divider"})
        blocks.append(section(f"*{_title(idea)}*\n{escape_within(idea.body, 400)}"))
        if idea.source_url:
            meta += " · " + t("shortcuts.from_message", language, url=idea.source_url)
        blocks.append(context(meta))
        if idea.author.user_id == viewer_user_id:
            blocks.append(idea_buttons(idea, language))
    blocks.append(
        context(t("ideas.page", language, page=page.page, pages=page.pages, total=page.total))
    )
    nav = []
    if page.page > 1:
        nav.append(_page_button(t("ideas.previous", language), page.query, page.page - 1))
    if page.page < page.pages:
        nav.append(_page_button(t("ideas.next", language), page.query, page.page + 1))
    if nav:
        blocks.append({"type": "actions", "block_id": "ideas_nav", "elements": nav})
    return message(blocks, header)


def author_label(author: Participant, language: str) -> str:
    """A mention of the author; an imported author (not in Slack) by name; a neutral label
    once they asked to be forgotten."""
    if author.forgotten_at is not None:
        return t("privacy.forgotten_author", language)
    if author.is_offline:
        if not author.display_name:
            return t("importing.anonymous", language)
        return escape_within(author.display_name, 80)
    return f"<@{author.user_id}>"


def offline_label(name: str | None, language: str) -> str:
    """Someone who is not in Slack (imported): their name, and that others must invite them."""
    shown = escape_within(name, 80) if name else t("importing.anonymous", language)
    return f"{shown} _({t('importing.not_in_slack', language)})_"


def member_label(participant: Participant, language: str) -> str:
    """A mention; for someone not in Slack their name and the mark, never their made-up id."""
    if participant.is_offline:
        return offline_label(participant.display_name, language)
    return f"<@{participant.user_id}>"


def _page_button(text: str, query: str, page: int) -> Block:
    return button(text, ids.IDEAS_PAGE, json.dumps({"q": query, "p": page}, ensure_ascii=False))


def help_message(language: str, limit: int, prefix: str | None = None) -> dict[str, Any]:
    text = t("help.text", language, limit=limit)
    if prefix:
        text = prefix + "\n\n" + text
    return notice(text)


# -- modals -----------------------------------------------------------------------------------


def _input_block(
    block_id: str, label: str, element: Block, *, optional: bool, hint: str | None
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def text_input(
    block_id: str,
    label: str,
    *,
    initial: str | None = None,
    multiline: bool = False,
    max_length: int = 3000,
    optional: bool = False,
    hint: str | None = None,
    placeholder: str | None = None,
) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": ids.VALUE,
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return _input_block(block_id, label, element, optional=optional, hint=hint)


def option(text: str, value: str, description: str | None = None) -> Block:
    option: Block = {"text": plain(text), "value": value}
    if description:
        option["description"] = plain(description)
    return option


def idea_modal(
    language: str,
    *,
    kind: IdeaKind = IdeaKind.IDEA,
    idea: Idea | None = None,
    metadata: dict[str, Any] | None = None,
    limits: tuple[int, int] = (150, 3000),
    initial_body: str | None = None,
) -> Block:
    """The form for a new idea or need, or for editing ``idea``.

    The theme is one field whose options load as the person types (``block_suggestion``): open
    themes, labels other ideas carry, or a new label. A static select would break the whole form
    past 100 open themes.
    """
    title_limit, body_limit = limits
    kinds = [
        option(
            t("ideas.kind_idea", language), IdeaKind.IDEA.value, t("ideas.kind_idea_hint", language)
        ),
        option(
            t("ideas.kind_need", language), IdeaKind.NEED.value, t("ideas.kind_need_hint", language)
        ),
    ]
    chosen = idea.kind if idea else kind
    blocks = [
        {
            "type": "input",
            "block_id": ids.IDEA_FIELDS["kind"],
            "label": plain(t("ideas.field_kind", language), 2000),
            "element": {
                "type": "radio_buttons",
                "action_id": ids.VALUE,
                "options": kinds,
                "initial_option": kinds[0] if chosen is IdeaKind.IDEA else kinds[1],
            },
        },
        text_input(
            ids.IDEA_FIELDS["title"],
            t("ideas.field_title", language),
            initial=idea.title if idea else None,
            max_length=title_limit,
            optional=True,
            hint=t("ideas.field_title_hint", language),
        ),
        text_input(
            ids.IDEA_FIELDS["body"],
            t("ideas.field_body", language),
            initial=idea.body if idea else initial_body,
            multiline=True,
            max_length=body_limit,
            placeholder=t("ideas.field_body_placeholder", language),
        ),
        theme_field(
            ids.IDEA_FIELDS["theme"],
            ids.THEME_CHOICE,
            t("ideas.field_theme", language),
            language,
            initial=idea_theme_option(idea, language) if idea else None,
            hint=t("ideas.field_theme_hint", language),
        ),
    ]
    title_key = "ideas.modal_title_edit" if idea else "ideas.modal_title_new"
    return {
        "type": "modal",
        "callback_id": ids.IDEA_MODAL,
        "title": plain(t(title_key, language), 24),
        "submit": plain(t("common.save", language), 24),
        "close": plain(t("common.cancel", language), 24),
        "private_metadata": json.dumps(metadata or {}),
        "blocks": blocks,
    }


# Values of the theme field's options: an open theme, a free label, or none.
THEME_VALUE = "theme:"
LABEL_VALUE = "label:"
NO_THEME = "none"


def theme_option(theme: Theme) -> Block:
    return option(theme.title, f"{THEME_VALUE}{theme.id}")


def label_option(label: str, text: str | None = None) -> Block:
    # A label is at most MAX_THEME (80) characters: the value stays within Slack's 150.
    return option(text or label, f"{LABEL_VALUE}{label}"[:150])


def idea_theme_option(idea: Idea, language: str) -> Block | None:
    """What the theme field shows when ``idea`` is edited."""
    if idea.challenge is not None:
        return theme_option(idea.challenge)
    if idea.theme:
        return label_option(idea.theme)
    return None


def theme_field(
    block_id: str,
    action_id: str,
    label: str,
    language: str,
    *,
    initial: Block | None = None,
    hint: str | None = None,
) -> Block:
    """An optional theme choice whose options the app answers as the person types."""
    placeholder = t("themes.search_placeholder", language)
    return search_select(
        block_id, action_id, label, placeholder, initial=initial, hint=hint, optional=True
    )


def search_select(
    block_id: str,
    action_id: str,
    label: str,
    placeholder: str,
    *,
    initial: Block | None = None,
    hint: str | None = None,
    optional: bool = False,
) -> Block:
    """A choice from a list that may grow past Slack's 100 options: an ``external_select``
    whose options the app answers as the person types (``block_suggestion``, see
    ``suggestions``), so every item stays reachable."""
    element: Block = {
        "type": "external_select",
        "action_id": action_id,
        "min_query_length": 0,
        "placeholder": plain(placeholder, 150),
    }
    if initial is not None:
        element["initial_option"] = initial
    return _input_block(block_id, label, element, optional=optional, hint=hint)


# Slack shows at most 100 options in an answer to a search.
MAX_SUGGESTIONS = 100


def suggestions(
    options: Sequence[Block], language: str, *, more: int = 0, last: Block | None = None
) -> dict[str, Any]:
    """The answer to a search in a ``search_select``: at most 100 options, ``last`` (if any)
    always among them. When matches are left out (``more`` the caller did not even load, plus
    any past the 100), they are counted in the label of the one option group, which tells the
    person to type more: nothing is cut without a word, and every match is one search away."""
    room = MAX_SUGGESTIONS - (1 if last is not None else 0)
    shown = [*options[:room], *([last] if last is not None else [])]
    left = more + max(0, len(options) - room)
    if not left:
        return {"options": shown}
    label = t("common.options_more", language, count=left)
    return {"option_groups": [{"label": plain(label), "options": shown}]}


def select_input(
    block_id: str, label: str, options: list[Block], initial_value: str | None
) -> Block:
    element: Block = {"type": "static_select", "action_id": ids.VALUE, "options": options}
    chosen = [option for option in options if option["value"] == initial_value]
    if chosen:
        element["initial_option"] = chosen[0]
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": True,
    }


def profile_modal(participant: Participant, language: str) -> Block:
    org_types = [
        option(t(f"profile.org_{kind.value}", language), kind.value) for kind in OrganisationType
    ]
    languages = [option(t(f"common.lang_{code}", language), code) for code in LANGUAGES]
    current_type = participant.organisation_type.value if participant.organisation_type else None
    roles = [
        option(t(f"programme.role_{role.value}", language), role.value) for role in ProfileRole
    ]
    blocks = [
        section(t("profile.intro", language)),
        text_input(
            ids.PROFILE_FIELDS["organisation"],
            t("profile.field_organisation", language),
            initial=participant.organisation,
            max_length=120,
            optional=True,
            placeholder=t("profile.field_organisation_placeholder", language),
        ),
        select_input(
            ids.PROFILE_FIELDS["organisation_type"],
            t("profile.field_org_type", language),
            org_types,
            current_type,
        ),
        select_input(
            ids.PROFILE_FIELDS["language"],
            t("profile.field_language", language),
            languages,
            participant.language,
        ),
        select_input(
            ids.PROFILE_FIELDS["role"],
            t("profile.field_role", language),
            roles,
            participant.role.value if participant.role else None,
        ),
    ]
    return form_modal(ids.PROFILE_MODAL, t("profile.modal_title", language), blocks, language)


def form_modal(callback_id: str, title: str, blocks: list[Block], language: str) -> Block:
    """A modal with Save and Cancel."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "submit": plain(t("common.save", language), 24),
        "close": plain(t("common.cancel", language), 24),
        "blocks": blocks,
    }


def done_modal(title: str, text: str, language: str) -> Block:
    """A modal that only says something happened (used to answer a submission)."""
    return {
        "type": "modal",
        "title": plain(title, 24),
        "close": plain(t("common.close", language), 24),
        "blocks": [section(text)],
    }


def similar_ideas_message(own_id: int, found: list[Any], language: str) -> dict[str, Any]:
    """Up to three similar ideas by others, each with the author's three choices."""
    header = t("ideas.similar_header", language)
    result: list[Block] = [section(header)]
    for suggestion in found:
        idea = suggestion.idea
        value = json.dumps({"own": own_id, "other": idea.id})
        result.append(
            section(
                t(
                    "ideas.similar_line",
                    language,
                    title=escape_within(idea.title, 150),
                    author=author_label(idea.author, language),
                    kind=_kind_label(idea.kind, language),
                )
                + "\n"
                + escape_within(idea.body, 300)
            )
        )
        join = button(t("ideas.similar_join", language), ids.SIMILAR_JOIN, value, "primary")
        join["confirm"] = {
            "title": plain(t("ideas.similar_join_confirm_title", language), 100),
            "text": plain(t("ideas.similar_join_confirm_text", language, title=idea.title), 300),
            "confirm": plain(t("ideas.similar_join", language), 30),
            "deny": plain(t("common.cancel", language), 30),
        }
        result.append(
            {
                "type": "actions",
                "block_id": f"similar_{own_id}_{idea.id}",
                "elements": [
                    join,
                    button(t("ideas.similar_link", language), ids.SIMILAR_LINK, value),
                    button(t("ideas.similar_separate", language), ids.SIMILAR_SEPARATE, value),
                ],
            }
        )
    return message(result, header)
