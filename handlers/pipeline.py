"""Moving ideas through the pipeline, ``/collider report``, and the App Home tab."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import blocks, ids, programme
from handlers.context import Deps, open_modal, view_values
from handlers.listening import (
    Person,
    facilitators_only,
    form_errors,
    listener,
    run_after_ack,
    subcommand,
    subcommand_args,
)
from handlers.pipeline_blocks import (
    HomeSections,
    home_view,
    stage_modal,
)
from handlers.roles import is_facilitator
from i18n import t
from models.queries import find_participant
from services import matchmaking, participants, pipeline, polls
from services.errors import DomainError, InvalidInput
from services.participants import language_of
from services.pipeline_workflow import tell_author
from services.programme_workflow import follow_up_move

logger = logging.getLogger(__name__)


def _number(text: str) -> int | None:
    text = text.strip().lstrip("#")
    return int(text) if text.isdigit() else None


def stage(
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    respond: Respond,
    person: Person,
    deps: Deps,
) -> None:
    """``/collider stage N``: the form to move idea N through the pipeline."""
    language = person.language
    idea_id = _number(subcommand_args(command))
    if idea_id is None:
        ack(response_type="ephemeral", **blocks.notice(t("pipeline.usage", language)))
        return
    with deps.database.session() as session:
        modal = stage_modal(pipeline.idea_for_stage_change(session, idea_id), language)
    ack()
    open_modal(client, respond, command["trigger_id"], modal, language)


def stage_submitted(ack: Ack, view: dict[str, Any], person: Person, deps: Deps) -> None:
    language = person.language
    fields = ids.STAGE_FIELDS
    values = view_values(view, fields)
    try:
        idea_id = int(json.loads(view.get("private_metadata") or "{}")["idea_id"])
    except (ValueError, KeyError, TypeError):
        ack(**form_errors(InvalidInput("errors.bad_request"), person, fields, "stage"))
        return
    try:
        with deps.database.session() as session:
            move = pipeline.move_idea(
                session, person.user, idea_id, values["stage"], values["note"]
            )
            follow_up = (move.change.id, move.experiment_id, move.evaluation_id)
    except DomainError as error:
        ack(**form_errors(error, person, fields, "stage"))
        return
    logger.info("idea #%s moved to %s by %s", idea_id, move.change.stage, person.user.user_id)
    done_text = t("pipeline.moved", language, id=idea_id)
    ack(
        response_action="update",
        view=blocks.done_modal(t("pipeline.modal_title", language), done_text, language),
    )
    # The facilitator already has their answer: a failed notice to the author is logged.
    run_after_ack(
        deps,
        tell_author,
        deps.outbound,
        move.change.id,
        what=f"stage notice to the author of idea #{idea_id}",
        person=person,
    )
    if follow_up[1] is not None or follow_up[2] is not None:
        # The card to fill in, and the evaluation of the stage just finished (services/).
        run_after_ack(
            deps,
            follow_up_move,
            deps.outbound,
            person.user,
            *follow_up,
            what=f"programme follow-up of idea #{idea_id}",
            person=person,
        )


def home_opened(event: dict[str, Any], client: WebClient, person: Person, deps: Deps) -> None:
    if event.get("tab", "home") != "home":
        return
    publish_home(deps, client, person)


def home_profile(
    ack: Ack, body: dict[str, Any], client: WebClient, person: Person, deps: Deps
) -> None:
    ack()
    with deps.database.session() as session:
        participant = participants.ensure_participant(session, person.user)
        language = language_of(participant, deps.settings.default_language)
        modal = blocks.profile_modal(participant, language)
    try:
        client.views_open(trigger_id=body["trigger_id"], view=modal)
    except SlackApiError as error:
        logger.warning("views.open from App Home failed: %s", error.response.get("error"))


def register(app: App, deps: Deps) -> None:
    app.command(
        "/collider", matchers=[subcommand("stage")], middleware=[facilitators_only("stage")]
    )(listener(stage))
    app.view(
        ids.STAGE_MODAL,
        middleware=[facilitators_only("stage submission", form_block=ids.STAGE_FIELDS["stage"])],
    )(listener(stage_submitted))
    app.event("app_home_opened")(listener(home_opened))
    app.action(ids.HOME_PROFILE)(listener(home_profile))


def publish_home(deps: Deps, client: WebClient, person: Person) -> None:
    language, user = person.language, person.user
    facilitator = is_facilitator(deps, user)
    with deps.database.session() as session:
        sections = HomeSections(
            language=language,
            my_ideas=pipeline.ideas_of(session, user),
            pipeline=pipeline.pipeline_summary(session),
            think_tanks=matchmaking.think_tanks_of(session, user),
            participant=(participant := find_participant(session, user.team_id, user.user_id)),
            polls=polls.pending_polls(session, participant) if participant else [],
            **programme.home_sections(session, user, language, facilitator=facilitator),
        )
        view = home_view(sections)
    try:
        client.views_publish(user_id=user.user_id, view=view)
    except SlackApiError as error:
        logger.warning("views.publish for %s failed: %s", user.user_id, error.response.get("error"))
