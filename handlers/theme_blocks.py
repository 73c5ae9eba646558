"""Block Kit for themes: the form to open one and the list."""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers import ids
from handlers.blocks import (
    LABEL_VALUE,
    NO_THEME,
    THEME_VALUE,
    Block,
    context,
    datepicker_input,
    form_modal,
    label_option,
    message,
    option,
    packed_lines,
    packed_sections,
    section,
    suggestions,
    text_input,
    theme_option,
)
from handlers.mrkdwn import escape_within
from i18n import format_day, t
from models import Theme
from services.errors import InvalidInput
from services.ideas import MAX_THEME
from services.record_ids import carried_id
from services.themes import MAX_DESCRIPTION, MAX_TITLE, LabelUse, ThemeChoices


def theme_modal(language: str, today: date) -> Block:
    fields = ids.THEME_FIELDS
    blocks = [
        text_input(fields["title"], t("themes.field_title", language), max_length=MAX_TITLE),
        text_input(
            fields["description"],
            t("themes.field_description", language),
            multiline=True,
            max_length=MAX_DESCRIPTION,
            optional=True,
        ),
        datepicker_input(fields["opens_on"], t("themes.field_opens_on", language), today, False),
        datepicker_input(fields["closes_on"], t("themes.field_closes_on", language), None, True),
    ]
    return form_modal(ids.THEME_MODAL, t("themes.modal_title", language), blocks, language)


def theme_line(theme: Theme, language: str, today: date) -> str:
    closes = (
        format_day(theme.closes_on, language)
        if theme.closes_on
        else t("themes.no_closing_date", language)
    )
    if theme.is_open_on(today):
        state = t("themes.state_open", language)
    elif theme.status.value == "open" and theme.opens_on > today:
        state = t("themes.state_upcoming", language)
    else:
        state = t("themes.state_closed", language)
    return t(
        "themes.line",
        language,
        id=theme.id,
        title=escape_within(theme.title, 150),
        opens=format_day(theme.opens_on, language),
        closes=closes,
        state=state,
    )


MAX_THEME_LIST_BLOCKS = 45


def theme_list(
    themes: list[Theme], labels: list[LabelUse], language: str, today: date, *, query: str = ""
) -> dict[str, Any]:
    """Every theme, then the labels ideas carry (themes too, to the people who used them);
    with ``query``, those that matched it.

    Lines are packed into sections, never cut; if even that passes Slack's 50 blocks, the rest is
    counted and ``/collider themes WORDS`` named as the way to find any of them.
    """
    shown_query = escape_within(query, 100)
    header = (
        t("themes.search_header", language, query=shown_query)
        if query
        else t("themes.list_header", language)
    )
    if not themes and not labels:
        empty = t("themes.none_found", language, query=shown_query) if query else None
        text = empty or t("themes.none", language)
        return message([section(f"*{header}*"), section(text)], header)
    lines = []
    for theme in themes:
        text = theme_line(theme, language, today)
        if theme.description:
            text += "\n" + escape_within(theme.description, 500)
        lines.append(text)
    theme_groups = packed_lines(lines)
    label_lines = [
        t("themes.label_line", language, label=escape_within(use.label, 100), count=use.ideas)
        for use in labels
    ]
    label_sections = packed_sections([t("themes.labels_header", language), *label_lines])
    budget = MAX_THEME_LIST_BLOCKS - (len(label_sections) if labels else 0)
    blocks: list[Block] = [section(f"*{header}*")]
    blocks += [section("\n".join(group)) for group in theme_groups[:budget]]
    hidden = sum(len(group) for group in theme_groups[budget:])
    if hidden:
        blocks.append(context(t("themes.more_themes", language, count=hidden)))
    if labels:
        blocks += label_sections[: MAX_THEME_LIST_BLOCKS - len(blocks)]
    blocks.append(context(t("themes.list_footer", language)))
    return message(blocks, header)


def theme_options(
    choices: ThemeChoices,
    query: str,
    language: str,
    *,
    new_labels: bool = True,
    none_key: str = "ideas.theme_none",
) -> dict[str, Any]:
    """The answer to a search in a theme field: "no theme" (``none_key`` says what that
    means there), the matches, and (with ``new_labels``) the typed text as a new label when
    nothing matches it exactly; matches past Slack's 100 are counted (``suggestions``)."""
    typed = " ".join(query.split())[:MAX_THEME]
    options: list[Block] = []
    if not typed:
        options.append(option(t(none_key, language), NO_THEME))
    options += [theme_option(theme) for theme in choices.themes]
    options += [label_option(label) for label in choices.labels]
    known = {theme.title.casefold() for theme in choices.themes}
    known |= {label.casefold() for label in choices.labels}
    new = None
    if new_labels and typed and typed.casefold() not in known:
        # Last, and always offered: the matches above may be what they meant.
        new = label_option(typed, t("ideas.theme_new", language, label=typed))
    return suggestions(options, language, more=choices.more, last=new)


def chosen_theme(value: str | None, field: str = "theme_id") -> tuple[str | None, int | None]:
    """A theme field's value as (label, theme id): one of them, or neither (no theme)."""
    if not value or value == NO_THEME:
        return None, None
    if value.startswith(LABEL_VALUE):
        return value.removeprefix(LABEL_VALUE), None
    if not value.startswith(THEME_VALUE):
        raise InvalidInput("errors.bad_choice", field=field)
    return None, carried_id(value.removeprefix(THEME_VALUE), "errors.bad_choice", field=field)


def chosen_theme_id(value: str | None, field: str) -> int | None:
    """A theme field that names themes only (the match form): the theme's id, or None."""
    label, theme_id = chosen_theme(value, field)
    if label is not None:
        raise InvalidInput("errors.bad_choice", field=field)
    return theme_id
