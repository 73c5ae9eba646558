"""Moving ideas through the pipeline, ``/collider report``, and the App Home tab."""

from __future__ import annotations

import logging
from datetime import UTC, tzinfo
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import blocks, ids, programme
from handlers.collider import profile_form
from handlers.context import Deps, read_json, view_values
from handlers.listening import (
    Modal,
    Person,
    facilitators_only,
    form_errors,
    form_opener,
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
from handlers.programme_blocks import without_images
from handlers.roles import is_facilitator
from i18n import t
from models.queries import find_participant
from services import matchmaking, pipeline, polls
from services.errors import DomainError, InvalidInput, NotFound
from services.pipeline_workflow import follow_up_move
from services.record_ids import carried_id, typed_id

logger = logging.getLogger(__name__)


def stage_form(command: dict[str, Any], person: Person, deps: Deps) -> Modal:
    """``/collider stage N``: the form to move idea N through the pipeline."""
    idea_id = typed_id(
        subcommand_args(command),
        usage=InvalidInput("pipeline.usage"),
        not_found=NotFound("errors.idea_not_found"),
    )
    with deps.database.session() as session:
        return stage_modal(
            pipeline.idea_for_stage_change(session, person.user.team_id, idea_id), person.language
        )


def stage_submitted(ack: Ack, view: dict[str, Any], person: Person, deps: Deps) -> None:
    language = person.language
    fields = ids.STAGE_FIELDS
    values = view_values(view, fields)
    try:
        idea_id = read_json(
            view.get("private_metadata"), lambda metadata: carried_id(metadata["idea_id"])
        )
    except InvalidInput as error:
        ack(**form_errors(error, person, fields, "stage"))
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
    # The facilitator already has their answer: the author's notice, the card to fill in and
    # the evaluation of the stage just finished follow, and whom they missed comes by DM.
    run_after_ack(
        deps,
        follow_up_move,
        deps.outbound,
        person.user,
        *follow_up,
        what=f"follow-up of the move of idea #{idea_id}",
        person=person,
    )


def home_opened(event: dict[str, Any], client: WebClient, person: Person, deps: Deps) -> None:
    if event.get("tab", "home") != "home":
        return
    publish_home(deps, client, person)


def register(app: App, deps: Deps) -> None:
    app.command(
        "/collider", matchers=[subcommand("stage")], middleware=[facilitators_only("stage")]
    )(form_opener(stage_form, refuses_in_ack=True))
    app.view(
        ids.STAGE_MODAL,
        middleware=[facilitators_only("stage submission", form_block=ids.STAGE_FIELDS["stage"])],
    )(listener(stage_submitted))
    app.event("app_home_opened")(listener(home_opened))
    # The App Home button opens the profile form of ``/collider profile``.
    app.action(ids.HOME_PROFILE)(form_opener(profile_form))


def publish_home(deps: Deps, client: WebClient, person: Person) -> None:
    language, user = person.language, person.user
    home = programme.home_figures(deps, user, language) if is_facilitator(deps, user) else None
    figures = programme.home_programme(home, language) if home is not None else []
    zone = _zone_of_pause(deps, person)
    with deps.database.session() as session:
        sections = HomeSections(
            language=language,
            my_ideas=pipeline.ideas_of(session, user),
            pipeline=pipeline.pipeline_summary(session, user.team_id),
            think_tanks=matchmaking.think_tanks_of(session, user),
            participant=(participant := find_participant(session, user.team_id, user.user_id)),
            polls=polls.pending_polls(session, participant) if participant else [],
            programme=figures,
            **programme.home_sections(session, user),
            time_zone=zone,
        )
        view = home_view(sections)
    text_only = without_images(view)
    error = _publish(client, user.user_id, view)
    if error == "invalid_blocks" and view != text_only:
        # Slack would not show the chart's file (removed, or not processed yet): the figures
        # are there as text too, so the Home is published without the image.
        logger.warning("App Home of %s: its chart was refused; text only", user.user_id)
        error = _publish(client, user.user_id, text_only)
    if home is not None and error is None:
        # Only now, with a Home published that no longer shows them, are old charts deleted.
        programme.home_published(deps, user, home)


def _zone_of_pause(deps: Deps, person: Person) -> tzinfo:
    """The person's zone if they are paused (the one line of the Home that shows a day), asked
    of Slack outside any transaction; UTC, and no question to Slack, for everyone else."""
    user = person.user
    with deps.database.session() as session:
        participant = find_participant(session, user.team_id, user.user_id)
        paused = participant is not None and participant.paused_until is not None
    return person.time_zone if paused else UTC


def _publish(client: WebClient, user_id: str, view: dict[str, Any]) -> str | None:
    """Publish the Home view; the error Slack answered, if any (logged)."""
    try:
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as error:
        code = str(error.response.get("error"))
        logger.warning("views.publish for %s failed: %s", user_id, code)
        return code
    return None
