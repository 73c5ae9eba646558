"""``/collider theme open|close`` (facilitators) and ``/collider themes`` (everyone)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App

from handlers import ids
from handlers.blocks import done_modal, notice
from handlers.context import Deps, view_values
from handlers.listening import (
    Modal,
    Person,
    facilitators_only,
    form_errors,
    form_opener,
    listener,
    subcommand,
    subcommand_args,
    subcommand_verb,
)
from handlers.mrkdwn import escape_within
from handlers.theme_blocks import theme_list, theme_modal
from i18n import t
from services import themes
from services.errors import InvalidInput

logger = logging.getLogger(__name__)


def theme_form(person: Person) -> Modal:
    """``/collider theme open``: the form for a new theme."""
    return theme_modal(person.language, date.today())


def close_theme(ack: Ack, command: dict[str, Any], person: Person, deps: Deps) -> None:
    """``theme close N`` closes theme N; anything else but ``open`` gets the usage."""
    language = person.language
    action, _, rest = subcommand_args(command).partition(" ")
    number = rest.strip().lstrip("#")
    if action == "close" and number.isdigit():
        with deps.database.session() as session:
            closed = themes.close_theme(session, int(number))
            text = t("themes.closed", language, title=escape_within(closed.title, 150))
        ack(response_type="ephemeral", **notice(text))
    else:
        ack(response_type="ephemeral", **notice(t("themes.usage", language)))


def list_themes(ack: Ack, person: Person, deps: Deps) -> None:
    with deps.database.session() as session:
        answer = theme_list(
            themes.all_themes(session), themes.labels_in_use(session), person.language, date.today()
        )
    ack(response_type="ephemeral", **answer)


def theme_submitted(ack: Ack, view: dict[str, Any], person: Person, deps: Deps) -> None:
    language = person.language
    fields = ids.THEME_FIELDS
    values = view_values(view, fields)
    try:
        data = themes.ThemeInput(
            title=values["title"] or "",
            description=values["description"] or "",
            opens_on=themes.parse_day(values["opens_on"], "opens_on") or date.today(),
            closes_on=themes.parse_day(values["closes_on"], "closes_on"),
        )
        with deps.database.session() as session:
            created = themes.open_theme(session, person.user, data)
            title = escape_within(created.title, 150)
            logger.info("theme #%s opened by %s", created.id, person.user.user_id)
    except InvalidInput as error:
        ack(**form_errors(error, person, fields, "title"))
        return
    done = done_modal(
        t("themes.modal_title", language), t("themes.opened", language, title=title), language
    )
    ack(response_action="update", view=done)


def register(app: App, deps: Deps) -> None:
    app.command(
        "/collider",
        matchers=[subcommand_verb("theme", "open")],
        middleware=[facilitators_only("theme")],
    )(form_opener(theme_form))
    app.command(
        "/collider",
        matchers=[subcommand("theme", excluding=("open",))],
        middleware=[facilitators_only("theme")],
    )(listener(close_theme))
    app.command("/collider", matchers=[subcommand("themes")])(listener(list_themes))
    # Checked again on submission: the submission may be crafted.
    app.view(
        ids.THEME_MODAL,
        middleware=[facilitators_only("theme submission", form_block=ids.THEME_FIELDS["title"])],
    )(listener(theme_submitted))
