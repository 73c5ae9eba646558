"""Moving ideas through the pipeline, ``/collider report``, and the App Home tab."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import blocks, ids, programme
from handlers.context import Deps, open_modal, user_from_command, user_from_interaction, view_values
from handlers.pipeline_blocks import (
    HomeSections,
    home_view,
    stage_modal,
    stage_moved_notice,
)
from handlers.roles import ack_unless_facilitator, form_unless_facilitator
from i18n import t
from models.queries import find_participant
from services import matchmaking, participants, pipeline, polls
from services.errors import DomainError, InvalidInput
from services.participants import SlackUser, language_of

logger = logging.getLogger(__name__)


def _number(text: str) -> int | None:
    text = text.strip().lstrip("#")
    return int(text) if text.isdigit() else None


def register(app: App, deps: Deps) -> None:
    def stage(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        user = user_from_command(command)
        language = deps.language(user)
        if not ack_unless_facilitator(deps, ack, user, "stage", language):
            return
        idea_id = _number(args)
        if idea_id is None:
            ack(response_type="ephemeral", **blocks.notice(t("pipeline.usage", language)))
            return
        try:
            with deps.database.session() as session:
                modal = stage_modal(pipeline.idea_for_stage_change(session, idea_id), language)
        except DomainError as error:
            ack(response_type="ephemeral", **blocks.notice(t(error.key, language, **error.params)))
            return
        ack()
        open_modal(client, respond, command["trigger_id"], modal, language)

    deps.subcommands.update({"stage": stage})

    @app.view(ids.STAGE_MODAL)
    def stage_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        user = user_from_interaction(body)
        language = deps.language(user)
        fields = ids.STAGE_FIELDS
        if not form_unless_facilitator(
            deps, ack, user, "stage submission", language, fields["stage"]
        ):
            return
        values = view_values(view, fields)
        try:
            idea_id = int(json.loads(view.get("private_metadata") or "{}")["idea_id"])
            with deps.database.session() as session:
                move = pipeline.move_idea(session, user, idea_id, values["stage"], values["note"])
                author = move.idea.author
                tell = author.forgotten_at is None
                author_user = SlackUser(team_id=author.team_id, user_id=author.user_id)
                done_text = t("pipeline.moved", language, id=idea_id)
        except (ValueError, KeyError, TypeError):
            ack(
                response_action="errors",
                errors={fields["stage"]: t("errors.bad_request", language)},
            )
            return
        except (InvalidInput, DomainError) as error:
            field = getattr(error, "field", None) or "stage"
            block = fields.get(field, fields["stage"])
            ack(response_action="errors", errors={block: t(error.key, language, **error.params)})
            return
        logger.info("idea #%s moved to %s by %s", idea_id, move.change.stage, user.user_id)
        ack(
            response_action="update",
            view=blocks.done_modal(t("pipeline.modal_title", language), done_text, language),
        )
        if tell:
            deps.workers.submit(_tell_author, deps, client, author_user, move)
        if move.experiment_id or move.evaluation_id:
            deps.workers.submit(
                programme.follow_up_move, deps, user, move.experiment_id, move.evaluation_id
            )

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = SlackUser(team_id=str(body.get("team_id") or ""), user_id=str(event["user"]))
        publish_home(deps, client, user)

    @app.action(ids.HOME_PROFILE)
    def home_profile(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        user = user_from_interaction(body)
        with deps.database.session() as session:
            participant = participants.ensure_participant(session, user)
            language = language_of(participant, deps.settings.default_language)
            modal = blocks.profile_modal(participant, language)
        try:
            client.views_open(trigger_id=body["trigger_id"], view=modal)
        except SlackApiError as error:
            logger.warning("views.open from App Home failed: %s", error.response.get("error"))


def publish_home(deps: Deps, client: WebClient, user: SlackUser) -> None:
    language = deps.language(user)
    with deps.database.session() as session:
        sections = HomeSections(
            language=language,
            my_ideas=pipeline.ideas_of(session, user),
            pipeline=pipeline.pipeline_summary(session),
            think_tanks=matchmaking.think_tanks_of(session, user),
            participant=(participant := find_participant(session, user.team_id, user.user_id)),
            polls=polls.pending_polls(session, participant) if participant else [],
            **programme.home_sections(deps, session, user, language),
        )
        view = home_view(sections)
    try:
        client.views_publish(user_id=user.user_id, view=view)
    except SlackApiError as error:
        logger.warning("views.publish for %s failed: %s", user.user_id, error.response.get("error"))


def _tell_author(deps: Deps, client: WebClient, author: SlackUser, move: pipeline.Move) -> None:
    """DM the author in their language (after the ack). The move is committed: a failed
    notice is logged, never undone."""
    try:
        language = deps.language(author)
        client.chat_postMessage(
            channel=author.user_id, **stage_moved_notice(move.idea, move.change, language)
        )
    except SlackApiError as error:
        logger.warning(
            "could not tell %s about a stage change: %s",
            author.user_id,
            error.response.get("error"),
        )
    except Exception:
        logger.exception("could not tell %s about a stage change", author.user_id)
