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
from handlers.programme_blocks import EXPERIMENT_THEME_CHOICE
from handlers.theme_blocks import theme_list, theme_modal, theme_options
from i18n import t
from services import ideas, themes
from services.errors import InvalidInput, NotFound
from services.record_ids import typed_id

logger = logging.getLogger(__name__)


def theme_form(person: Person) -> Modal:
    """``/collider theme open``: the form for a new theme."""
    return theme_modal(person.language, date.today())


def close_theme(ack: Ack, command: dict[str, Any], person: Person, deps: Deps) -> None:
    """``theme close N`` closes theme N; anything else but ``open`` gets the usage."""
    language = person.language
    action, _, rest = subcommand_args(command).partition(" ")
    if action != "close":
        raise InvalidInput("themes.usage")
    theme_id = typed_id(
        rest,
        usage=InvalidInput("themes.usage"),
        not_found=NotFound("themes.not_found", id=escape_within(rest.strip().lstrip("#"), 40)),
    )
    with deps.database.session() as session:
        closed = themes.close_theme(session, person.user.team_id, theme_id)
        text = t("themes.closed", language, title=escape_within(closed.title, 150))
    ack(response_type="ephemeral", **notice(text))


def list_themes(ack: Ack, command: dict[str, Any], person: Person, deps: Deps) -> None:
    """``/collider themes [WORDS]``: every theme and label, or those whose name has WORDS."""
    query = subcommand_args(command)[: ideas.MAX_QUERY]
    with deps.database.session() as session:
        found, labels = themes.themes_named(session, person.user.team_id, query)
        answer = theme_list(found, labels, person.language, date.today(), query=query)
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


def search_themes(ack: Ack, payload: dict[str, Any], person: Person, deps: Deps) -> None:
    """The idea form's theme field as the person types: open themes, labels in use, or a new
    label (answered at once: Slack waits 3 s)."""
    query = _query(payload)
    with deps.database.session() as session:
        choices = themes.theme_choices(session, person.user.team_id, query, date.today())
        answer = theme_options(choices, query, person.language)
    ack(**answer)


def search_any_theme(ack: Ack, payload: dict[str, Any], person: Person, deps: Deps) -> None:
    """A theme field that filters by theme (the match form): every theme, open or closed,
    and no labels; "any theme" when nothing is typed."""
    _answer_every_theme(ack, payload, person, deps, none_key="rounds.theme_any")


def search_experiment_theme(ack: Ack, payload: dict[str, Any], person: Person, deps: Deps) -> None:
    """The experiment card's theme: every theme, open or closed; "no theme" to clear it."""
    _answer_every_theme(ack, payload, person, deps, none_key="ideas.theme_none")


def _answer_every_theme(
    ack: Ack, payload: dict[str, Any], person: Person, deps: Deps, *, none_key: str
) -> None:
    query = _query(payload)
    with deps.database.session() as session:
        choices = themes.theme_choices(
            session, person.user.team_id, query, date.today(), closed=True, labels=False
        )
        answer = theme_options(choices, query, person.language, new_labels=False, none_key=none_key)
    ack(**answer)


def _query(payload: dict[str, Any]) -> str:
    return str(payload.get("value") or "")[: ideas.MAX_QUERY]


def register(app: App, deps: Deps) -> None:
    app.options(ids.THEME_CHOICE)(listener(search_themes))
    app.options(ids.ANY_THEME_CHOICE)(listener(search_any_theme))
    app.options(EXPERIMENT_THEME_CHOICE)(listener(search_experiment_theme))
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
