"""Block Kit for themes: the form to open one and the list."""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers import ids
from handlers.blocks import Block, context, form_modal, message, plain, section, text_input
from handlers.mrkdwn import escape_within
from i18n import format_day, t
from models import Theme
from services.themes import MAX_DESCRIPTION, MAX_TITLE


def _datepicker(block_id: str, label: str, initial: date | None, optional: bool) -> Block:
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
        _datepicker(fields["opens_on"], t("themes.field_opens_on", language), today, False),
        _datepicker(fields["closes_on"], t("themes.field_closes_on", language), None, True),
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


def theme_list(themes: list[Theme], language: str, today: date) -> dict[str, Any]:
    header = t("themes.list_header", language)
    if not themes:
        return message([section(f"*{header}*"), section(t("themes.none", language))], header)
    blocks: list[Block] = [section(f"*{header}*")]
    for theme in themes[:40]:
        text = theme_line(theme, language, today)
        if theme.description:
            text += "\n" + escape_within(theme.description, 500)
        blocks.append(section(text))
    blocks.append(context(t("themes.list_footer", language)))
    return message(blocks, header)
