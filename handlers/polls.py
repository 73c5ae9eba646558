"""Evaluation polls in Slack: answering in the DM, the text modal, and the facilitator commands
``/collider poll send|new`` and ``/collider report [round N | tank N | theme WORD]``."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.poll_jobs import deliver_report, send_poll_now
from handlers import blocks, ids, poll_blocks
from handlers.context import Deps, open_modal, user_from_command, user_from_interaction, view_values
from handlers.mrkdwn import escape_within
from handlers.pipeline_blocks import report as pipeline_report
from handlers.roles import ack_unless_facilitator, form_unless_facilitator
from i18n import t
from services import pipeline, poll_reports, polls, themes
from services.errors import DomainError, InvalidInput, NotAllowed
from services.participants import SlackUser

logger = logging.getLogger(__name__)


def _poll_ref(value: str | None) -> dict[str, Any]:
    try:
        ref = json.loads(value or "")
        return {"p": int(ref["p"]), "q": str(ref.get("q", "")), "v": str(ref.get("v", ""))}
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("errors.bad_request") from None


def _int_or_none(value: str | None, field: str) -> int | None:
    if not (value or "").strip():
        return None
    try:
        return int((value or "").strip().lstrip("#"))
    except ValueError:
        raise InvalidInput("errors.bad_choice", field=field) from None


def register(app: App, deps: Deps) -> None:
    def refused(ack: Ack, client: WebClient, user: SlackUser, action: str) -> bool:
        return not ack_unless_facilitator(deps, ack, user, action, deps.language(user))

    def poll(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        user = user_from_command(command)
        language = deps.language(user)
        verb = args.strip().lower()
        if verb not in ("send", "new"):
            ack(response_type="ephemeral", **blocks.notice(t("polls.usage", language)))
            return
        if refused(ack, client, user, f"poll {verb}"):
            return
        if verb == "new":
            ack()
            modal = poll_blocks.template_modal(language)
        else:
            with deps.database.session() as session:
                rounds = polls.recent_rounds(session, user.team_id)
                templates = polls.templates(session, user.team_id)
                modal = poll_blocks.send_modal(rounds, templates, language) if rounds else None
            if modal is None:
                ack(response_type="ephemeral", **blocks.notice(t("polls.no_rounds", language)))
                return
            ack()
        open_modal(client, respond, command["trigger_id"], modal, language)

    def report(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        """The pipeline at once (everything, or one theme); poll results and chart by DM."""
        user = user_from_command(command)
        language = deps.language(user)
        if refused(ack, client, user, "report"):
            return
        try:
            scope = poll_reports.parse_scope(args)
            with deps.database.session() as session:
                poll_reports.require_scope(session, user.team_id, scope)
                theme = themes.find_theme(session, scope.value) if scope.kind == "theme" else None
                if scope.kind == "theme" and theme is None:
                    raise InvalidInput("themes.not_found", id=escape_within(scope.value, 40))
                if theme is not None:
                    scope = poll_reports.Scope("theme", str(theme.id))
                working = t("polls.report_working", language)
                if scope.kind in ("all", "theme"):
                    summary = pipeline.pipeline_summary(session, theme.id if theme else None)
                    answer = pipeline_report(summary, language, theme.title if theme else None)
                    answer["blocks"].append(blocks.context(working))
                else:
                    answer = blocks.notice(working)
        except DomainError as error:
            ack(response_type="ephemeral", **blocks.notice(t(error.key, language, **error.params)))
            return
        ack(response_type="ephemeral", **answer)
        deps.workers.submit(deliver_report, deps.database, deps.gateway, deps.settings, user, scope)

    deps.subcommands.update({"poll": poll, "report": report})

    @app.view(ids.POLL_TEMPLATE_MODAL)
    def template_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        user = user_from_interaction(body)
        language = deps.language(user)
        if not form_unless_facilitator(
            deps, ack, user, "poll template", language, ids.TEMPLATE_FIELDS["name"]
        ):
            return
        values = view_values(view, ids.TEMPLATE_FIELDS)
        try:
            with deps.database.session() as session:
                template = polls.create_template(
                    session, user, values["name"] or "", values["questions"] or ""
                )
                name, count = template.name, len(template.questions)
        except InvalidInput as error:
            block = ids.TEMPLATE_FIELDS.get(error.field or "", ids.TEMPLATE_FIELDS["questions"])
            ack(response_action="errors", errors={block: t(error.key, language, **error.params)})
            return
        text = t("polls.template_saved", language, name=name, count=count)
        done = blocks.done_modal(t("polls.template_modal_title", language), text, language)
        ack(response_action="update", view=done)

    @app.view(ids.POLL_SEND_MODAL)
    def send_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        user = user_from_interaction(body)
        language = deps.language(user)
        fields = ids.POLL_SEND_FIELDS
        if not form_unless_facilitator(deps, ack, user, "poll send", language, fields["round"]):
            return
        values = view_values(view, fields)
        try:
            template = values["template"] or "default"
            request = polls.AdHocPoll(
                round_id=_int_or_none(values["round"], "round") or 0,
                think_tank_number=_int_or_none(values["tank"], "tank"),
                template_id=None if template == "default" else _int_or_none(template, "template"),
                days=_int_or_none(values["days"], "days") or 0,
                anonymous="attributed" not in (values["options"] or ""),
            )
            with deps.database.session() as session:
                poll_id = polls.create_adhoc_poll(session, user, request).id
        except DomainError as error:
            block = fields.get(getattr(error, "field", None) or "", fields["round"])
            ack(response_action="errors", errors={block: t(error.key, language, **error.params)})
            return
        text = t("polls.sending", language, poll=poll_id)
        ack(
            response_action="update",
            view=blocks.done_modal(t("polls.send_modal_title", language), text, language),
        )
        deps.workers.submit(send_poll_now, deps.database, deps.gateway, deps.settings, poll_id)

    def _refuse_answer(respond: Respond, user: SlackUser, error: DomainError, poll_id: Any) -> None:
        if isinstance(error, NotAllowed):
            logger.warning(
                "refused an answer to poll %s by %s/%s: not sent to them",
                poll_id,
                user.team_id,
                user.user_id,
            )
        respond(
            response_type="ephemeral",
            replace_original=False,
            **blocks.notice(t(error.key, deps.language(user), **error.params)),
        )

    @app.action(re.compile("^" + re.escape(ids.POLL_ANSWER_PREFIX)))
    def answered(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        user = user_from_interaction(body)
        language = deps.language(user)
        ref: dict[str, Any] = {}
        try:
            ref = _poll_ref(action.get("value"))
            with deps.database.session() as session:
                key = polls.answer_key(session, deps.settings.answer_key)
                poll, answers = polls.record_answers(
                    session, ref["p"], user, {ref["q"]: ref["v"]}, key
                )
                redrawn = poll_blocks.poll_message(poll, answers, language)
        except DomainError as error:
            _refuse_answer(respond, user, error, ref.get("p"))
            return
        respond(replace_original=True, **redrawn)

    @app.action(ids.POLL_WRITE)
    def write(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        user = user_from_interaction(body)
        language = deps.language(user)
        ref: dict[str, Any] = {}
        try:
            ref = _poll_ref(action.get("value"))
            with deps.database.session() as session:
                key = polls.answer_key(session, deps.settings.answer_key)
                poll, answers = polls.answers_of(session, ref["p"], user, key)
                if not polls.is_open(poll):
                    raise InvalidInput("polls.closed")
                modal = poll_blocks.text_modal(poll, answers, language)
        except DomainError as error:
            _refuse_answer(respond, user, error, ref.get("p"))
            return
        open_modal(client, respond, body["trigger_id"], modal, language)

    @app.view(ids.POLL_TEXT_MODAL)
    def text_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        user = user_from_interaction(body)
        language = deps.language(user)
        poll_id: Any = None
        try:
            poll_id = _poll_ref(view.get("private_metadata"))["p"]
            state = (view.get("state") or {}).get("values") or {}
            fields = {
                block_id.removeprefix(ids.POLL_TEXT_PREFIX): block_id
                for block_id in state
                if block_id.startswith(ids.POLL_TEXT_PREFIX)
            }
            texts = {name: value or "" for name, value in view_values(view, fields).items()}
            with deps.database.session() as session:
                key = polls.answer_key(session, deps.settings.answer_key)
                poll, answers = polls.record_answers(session, poll_id, user, texts, key)
                channel, ts = polls.message_of(session, poll_id, user)
                redrawn = poll_blocks.poll_message(poll, answers, language)
        except InvalidInput as error:
            block = f"{ids.POLL_TEXT_PREFIX}{error.field}" if error.field else None
            if block and block in ((view.get("state") or {}).get("values") or {}):
                ack(
                    response_action="errors", errors={block: t(error.key, language, **error.params)}
                )
                return
            ack(
                response_action="update",
                view=blocks.done_modal(
                    t("polls.text_modal_title", language),
                    t(error.key, language, **error.params),
                    language,
                ),
            )
            return
        except NotAllowed as error:
            logger.warning(
                "refused a written answer to poll %s by %s/%s", poll_id, user.team_id, user.user_id
            )
            ack(
                response_action="update",
                view=blocks.done_modal(
                    t("polls.text_modal_title", language), t(error.key, language), language
                ),
            )
            return
        done = blocks.done_modal(
            t("polls.text_modal_title", language), t("polls.text_saved", language), language
        )
        ack(response_action="update", view=done)
        if channel and ts:
            try:
                client.chat_update(channel=channel, ts=ts, **redrawn)
            except SlackApiError as error:
                logger.warning("could not redraw poll %s: %s", poll_id, error.response.get("error"))
