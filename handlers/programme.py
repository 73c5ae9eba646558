"""The programme's path in Slack: think-tank charters, experiment cards and their results,
stage evaluations, strategy goals (``/collider goal``), ``/collider experiments`` and
``/collider report programme``.

Who may do what is checked on the server, whatever a button or form claims: members for
charters (``services.charters``), owners or facilitators for cards (``services.experiments``),
invitees for evaluations (``services.stage_evaluations``). A refusal rises as a ``DomainError``
and ``handlers.listening.listener`` answers it; forms show theirs under the field.
What is sent afterwards goes through the workflows of ``services.programme_workflow``.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlalchemy.orm import Session

from handlers import blocks
from handlers import programme_blocks as views
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
    subcommand_verb,
)
from handlers.mrkdwn import escape_within
from handlers.roles import is_facilitator
from handlers.theme_blocks import chosen_theme_id
from i18n import t
from models import Experiment
from models.base import utcnow
from services import charters, experiments, stage_evaluations, strategy_goals, themes
from services.answer_keys import answer_keys
from services.errors import DomainError, InvalidInput, NotFound
from services.participants import SlackUser
from services.programme_home import HomeFigures
from services.programme_report import parse_period
from services.programme_workflow import deliver_programme_report, post_charter, send_card
from services.record_ids import carried_id, typed_id

logger = logging.getLogger(__name__)


def _metadata(view: dict[str, Any], key: str) -> int:
    return read_json(view.get("private_metadata"), lambda metadata: carried_id(metadata[key]))


def _done(ack: Ack, title_key: str, text_key: str, language: str, **params: Any) -> None:
    view = blocks.done_modal(t(title_key, language), t(text_key, language, **params), language)
    ack(response_action="update", view=view)


# -- charters ------------------------------------------------------------------------------------
def charter_form(action: dict[str, Any], person: Person, deps: Deps) -> Modal:
    """*Write our charter* (or *Edit*): the form, for members of the think tank only."""
    with deps.database.session() as session:
        tank_id = carried_id(action.get("value"))
        charters.member_of(session, person.user, tank_id)
        return views.charter_modal(tank_id, charters.charter_of(session, tank_id), person.language)


def charter_submitted(ack: Ack, view: dict[str, Any], person: Person, deps: Deps) -> None:
    values = view_values(view, views.CHARTER_FIELDS)
    data = charters.CharterInput(values["goal"], values["roles"], values["ground_rules"])
    try:
        with deps.database.session() as session:
            charter_id = charters.save_charter(session, person.user, _metadata(view, "t"), data).id
    except DomainError as error:
        ack(**form_errors(error, person, views.CHARTER_FIELDS, "goal"))
        return
    _done(ack, "programme.charter_title", "programme.charter_saved", person.language)
    run_after_ack(
        deps,
        post_charter,
        deps.outbound,
        charter_id,
        person.user,
        what=f"charter {charter_id}",
        person=person,
    )


# -- experiment cards ----------------------------------------------------------------------------
def _editable_experiment(
    session: Session, action: dict[str, Any], person: Person, deps: Deps
) -> Experiment:
    """The card a button names, if this person may edit it (an owner, or a facilitator)."""
    facilitator = is_facilitator(deps, person.user)
    return experiments.editable_experiment(
        session, person.user, carried_id(action.get("value")), facilitator=facilitator
    )


def experiment_form(action: dict[str, Any], person: Person, deps: Deps) -> Modal:
    """The experiment card's form, for its owners and facilitators."""
    with deps.database.session() as session:
        experiment = _editable_experiment(session, action, person, deps)
        goals = strategy_goals.active_goals(session, person.user.team_id)
        team_id = person.user.team_id
        theme = (
            themes.theme_of(session, team_id, experiment.theme_id) if experiment.theme_id else None
        )
        return views.experiment_modal(
            experiment, goals, theme, person.language, has_themes=themes.any_theme(session, team_id)
        )


def experiment_submitted(ack: Ack, view: dict[str, Any], person: Person, deps: Deps) -> None:
    values = view_values(view, views.EXPERIMENT_FIELDS)
    facilitator = is_facilitator(deps, person.user)
    try:
        theme_id = chosen_theme_id(values["theme_id"], "theme_id")
        values["theme_id"] = str(theme_id) if theme_id is not None else None
        data = experiments.CardInput(**values)
        with deps.database.session() as session:
            experiment = experiments.fill_card(
                session, person.user, _metadata(view, "e"), data, facilitator=facilitator
            )
            experiment_id = experiment.id
    except DomainError as error:
        ack(**form_errors(error, person, views.EXPERIMENT_FIELDS, "title"))
        return
    language = person.language
    _done(ack, "programme.experiment_title", "programme.card_saved", language, id=experiment_id)
    run_after_ack(
        deps,
        send_card,
        deps.outbound,
        person.user,
        experiment_id,
        language,
        what=f"card {experiment_id} by DM",
        person=person,
    )


def result_form(action: dict[str, Any], person: Person, deps: Deps) -> Modal:
    """*Record the result*: the form, for the card's owners and facilitators."""
    with deps.database.session() as session:
        experiment = _editable_experiment(session, action, person, deps)
        return views.result_modal(experiment, person.language)


def result_submitted(ack: Ack, view: dict[str, Any], person: Person, deps: Deps) -> None:
    values = view_values(view, views.RESULT_FIELDS)
    data = experiments.ResultInput(values["happened"], values["decision"], values["learned"])
    facilitator = is_facilitator(deps, person.user)
    try:
        with deps.database.session() as session:
            experiments.record_result(
                session, person.user, _metadata(view, "e"), data, facilitator=facilitator
            )
    except DomainError as error:
        ack(**form_errors(error, person, views.RESULT_FIELDS, "happened"))
        return
    _done(ack, "programme.result_title", "programme.result_saved", person.language)


# -- stage evaluations ---------------------------------------------------------------------------
def evaluation_form(action: dict[str, Any], person: Person, deps: Deps) -> Modal:
    """*Evaluate the stage*: the form, for those it was sent to, with their earlier answer."""
    evaluation_id = carried_id(action.get("value"))
    with deps.database.session() as session:
        keys = answer_keys(session, deps.settings)
        evaluation, _ = stage_evaluations.invitation(session, evaluation_id, person.user)
        answer = stage_evaluations.own_answer(session, evaluation_id, person.user, keys)
        return views.evaluation_modal(evaluation, answer, person.language)


def evaluation_submitted(ack: Ack, view: dict[str, Any], person: Person, deps: Deps) -> None:
    values = view_values(view, views.EVALUATION_FIELDS)
    data = stage_evaluations.EvaluationInput(
        values["gave"], values["hard"], values["succeeded"], values["rating"]
    )
    try:
        with deps.database.session() as session:
            keys = answer_keys(session, deps.settings)
            stage_evaluations.record_evaluation(
                session, _metadata(view, "s"), person.user, data, keys
            )
    except DomainError as error:
        ack(**form_errors(error, person, views.EVALUATION_FIELDS, "rating"))
        return
    _done(ack, "programme.evaluation_title", "programme.evaluation_saved", person.language)


# -- App Home (called by handlers/pipeline.py) --------------------------------------------------
def home_sections(session: Session, user: SlackUser) -> dict[str, Any]:
    """The charters of the person's think tanks."""
    tank_ids = charters.think_tank_ids_of(session, user)
    return {"charters": charters.charters_of(session, tank_ids)}


def home_figures(deps: Deps, user: SlackUser, language: str) -> HomeFigures:
    """A facilitator's programme figures (counted at most once a minute per team) with their
    chart's Slack file; outside any transaction: it may count, and upload."""
    return deps.programme_home.figures(deps.outbound, user.team_id, language)


def home_programme(home: HomeFigures, language: str) -> list[views.Block]:
    return views.home_summary(home.report, language, home.chart_file_id, home.counted_at)


def home_published(deps: Deps, user: SlackUser, home: HomeFigures) -> None:
    """The Home showing ``home`` is published: the chart files it replaced are deleted."""
    deps.programme_home.published(deps.outbound, user.team_id, home)


# -- /collider subcommands -----------------------------------------------------------------------
GOAL_VERBS = ("add", "list", "remove", "theme")


def goal(ack: Ack, command: dict[str, Any], person: Person, deps: Deps) -> None:
    """``/collider goal add TEXT | list | remove ID | theme THEME_ID GOAL_ID``."""
    language, user = person.language, person.user
    verb, _, rest = subcommand_args(command).partition(" ")
    verb = verb.lower()
    if verb not in GOAL_VERBS:
        ack(response_type="ephemeral", **blocks.notice(t("programme.goal_usage", language)))
        return
    with deps.database.session() as session:
        if verb == "list":
            answer = views.goals_list(strategy_goals.active_goals(session, user.team_id), language)
        else:
            answer = blocks.notice(_change_goals(session, user, verb, rest, language))
    ack(response_type="ephemeral", **answer)


def _change_goals(session: Session, user: SlackUser, verb: str, rest: str, language: str) -> str:
    if verb == "add":
        added = strategy_goals.add_goal(session, user, rest)
        title = escape_within(added.title, 200)
        return t("programme.goal_added", language, id=added.id, title=title)
    if verb == "remove":
        removed = strategy_goals.remove_goal(session, user.team_id, _typed(rest, "goal"))
        return t("programme.goal_removed", language, id=removed.id)
    theme_text, _, goal_text = rest.strip().partition(" ")
    theme = strategy_goals.link_theme(
        session, user.team_id, _typed(theme_text, "theme"), _typed(goal_text, "goal")
    )
    return t("programme.goal_linked", language, theme=theme.id, goal=theme.strategy_goal_id)


_NOT_FOUND = {"goal": "programme.goal_not_found", "theme": "themes.not_found"}


def _typed(text: str, what: str) -> int:
    """A goal's or theme's id in ``/collider goal``: a number no row can have is not found."""
    shown = escape_within(text.strip().lstrip("#"), 40)
    return typed_id(
        text,
        usage=InvalidInput("programme.goal_usage"),
        not_found=NotFound(_NOT_FOUND[what], id=shown),
    )


MAX_FILTER = 200


def experiments_list(ack: Ack, command: dict[str, Any], person: Person, deps: Deps) -> None:
    """``/collider experiments [stage] [theme] [FROM..TO]``: the matching cards."""
    language, args = person.language, subcommand_args(command)
    try:
        if len(args) > MAX_FILTER:
            raise InvalidInput("programme.experiments_usage")
        wanted = experiments.parse_filter(args)
    except DomainError:
        # Whatever was wrong with the filter, the usage says how it goes.
        ack(response_type="ephemeral", **blocks.notice(t("programme.experiments_usage", language)))
        return
    with deps.database.session() as session:
        found = experiments.list_experiments(session, person.user.team_id, wanted)
        answer = views.experiments_list(found, language)
    ack(response_type="ephemeral", **answer)


def programme_report(
    ack: Ack, command: dict[str, Any], respond: Respond, person: Person, deps: Deps
) -> None:
    """``/collider report programme [FROM] [TO]``: acked at once with a note; the report and
    its charts follow by DM from a worker."""
    language = person.language
    words = subcommand_args(command).split()[1:]  # after "programme"
    try:
        if len(words) > 2:
            raise InvalidInput("programme.report_usage")
        since, until = (words + ["", ""])[:2]
        period = parse_period(since or None, until or None, utcnow().date())
    except DomainError:
        ack(response_type="ephemeral", **blocks.notice(t("programme.report_usage", language)))
        return
    ack(response_type="ephemeral", **blocks.notice(t("programme.report_working", language)))
    run_after_ack(
        deps,
        deliver_programme_report,
        deps.outbound,
        person.user,
        period,
        language,
        what="programme report",
        person=person,
        tell=lambda answer: _say(respond, answer),
    )


def _say(respond: Respond, answer: dict[str, Any]) -> None:
    respond(response_type="ephemeral", replace_original=False, **answer)


def register(app: App, deps: Deps) -> None:
    app.action(views.CHARTER_OPEN)(form_opener(charter_form))
    app.view(views.CHARTER_MODAL)(listener(charter_submitted))
    app.action(views.EXPERIMENT_OPEN)(form_opener(experiment_form))
    app.view(views.EXPERIMENT_MODAL)(listener(experiment_submitted))
    app.action(views.RESULT_OPEN)(form_opener(result_form))
    app.view(views.RESULT_MODAL)(listener(result_submitted))
    app.action(views.EVALUATION_OPEN)(form_opener(evaluation_form))
    app.view(views.EVALUATION_MODAL)(listener(evaluation_submitted))
    app.command("/collider", matchers=[subcommand("goal")], middleware=[facilitators_only("goal")])(
        listener(goal)
    )
    app.command("/collider", matchers=[subcommand("experiments")])(listener(experiments_list))
    app.command(
        "/collider",
        matchers=[subcommand_verb("report", "programme")],
        middleware=[facilitators_only("report programme")],
    )(listener(programme_report))
