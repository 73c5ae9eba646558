"""``/collider theme open|close`` (facilitators) and ``/collider themes`` (everyone)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers import ids
from handlers.blocks import done_modal, notice
from handlers.context import Deps, open_modal, user_from_command, user_from_interaction, view_values
from handlers.mrkdwn import escape_within
from handlers.roles import ack_unless_facilitator, form_unless_facilitator
from handlers.theme_blocks import theme_list, theme_modal
from i18n import t
from services import themes
from services.errors import DomainError, InvalidInput

logger = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    def theme(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        user = user_from_command(command)
        language = deps.language(user)
        action, _, rest = args.partition(" ")
        if not ack_unless_facilitator(deps, ack, user, f"theme {action}", language):
            return
        if action == "open":
            ack()
            open_modal(
                client,
                respond,
                command["trigger_id"],
                theme_modal(language, date.today()),
                language,
            )
        elif action == "close" and rest.strip().lstrip("#").isdigit():
            try:
                with deps.database.session() as session:
                    closed = themes.close_theme(session, int(rest.strip().lstrip("#")))
                    text = t("themes.closed", language, title=escape_within(closed.title, 150))
            except DomainError as error:
                text = t(error.key, language, **error.params)
            ack(response_type="ephemeral", **notice(text))
        else:
            ack(response_type="ephemeral", **notice(t("themes.usage", language)))

    def list_(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        language = deps.language(user_from_command(command))
        with deps.database.session() as session:
            answer = theme_list(themes.all_themes(session), language, date.today())
        ack(response_type="ephemeral", **answer)

    deps.subcommands.update({"theme": theme, "themes": list_})

    @app.view(ids.THEME_MODAL)
    def theme_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = user_from_interaction(body)
        language = deps.language(user)
        fields = ids.THEME_FIELDS
        # Checked again here: the submission may be crafted.
        if not form_unless_facilitator(
            deps, ack, user, "theme submission", language, fields["title"]
        ):
            return
        values = view_values(view, fields)
        try:
            data = themes.ThemeInput(
                title=values["title"] or "",
                description=values["description"] or "",
                opens_on=themes.parse_day(values["opens_on"], "opens_on") or date.today(),
                closes_on=themes.parse_day(values["closes_on"], "closes_on"),
            )
            with deps.database.session() as session:
                created = themes.open_theme(session, user, data)
                title = escape_within(created.title, 150)
                logger.info("theme #%s opened by %s", created.id, user.user_id)
        except InvalidInput as error:
            block = fields.get(error.field or "title", fields["title"])
            ack(response_action="errors", errors={block: t(error.key, language, **error.params)})
            return
        done = done_modal(
            t("themes.modal_title", language), t("themes.opened", language, title=title), language
        )
        ack(response_action="update", view=done)
