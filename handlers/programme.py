"""The programme's path in Slack: think-tank charters, experiment cards and their results,
stage evaluations, strategy goals (``/collider goal``), ``/collider experiments`` and
``/collider report programme``.

Each listener is a named function; ``register`` attaches them with a listener middleware that
puts the app's ``Deps`` into ``context``. Who may do what is checked here, on the server
(members for charters, owners or facilitators for cards, invitees for evaluations), whatever
a button or form claims.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers import blocks
from handlers import programme_blocks as views
from handlers.context import Deps, open_modal, user_from_command, user_from_interaction, view_values
from handlers.mrkdwn import escape_within
from handlers.programme_charts import dashboard
from handlers.roles import ack_unless_facilitator, is_facilitator
from i18n import t
from models import Charter, Experiment, ThinkTank
from models.base import utcnow
from services import charters, experiments, polls, stage_evaluations, strategy_goals, themes
from services.delivery import DeliveryError
from services.errors import DomainError, InvalidInput
from services.participants import SlackUser
from services.programme_report import build_report, parse_period

logger = logging.getLogger(__name__)

Subcommand = Callable[[Ack, dict[str, Any], str, WebClient, Respond], None]


def _deps(context: BoltContext) -> Deps:
    return context["deps"]  # type: ignore[no-any-return]


def _id(value: Any) -> int:
    try:
        return int(str(value).strip().lstrip("#"))
    except ValueError:
        raise InvalidInput("errors.bad_request") from None


def _metadata(view: dict[str, Any], key: str) -> int:
    try:
        return int(json.loads(view.get("private_metadata") or "{}")[key])
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("errors.bad_request") from None


def _say(respond: Respond, text: str) -> None:
    respond(response_type="ephemeral", replace_original=False, **blocks.notice(text))


def _form_errors(ack: Ack, error: DomainError, fields: dict[str, str], language: str) -> None:
    block = fields.get(getattr(error, "field", None) or "", next(iter(fields.values())))
    ack(response_action="errors", errors={block: t(error.key, language, **error.params)})


def _done(ack: Ack, title_key: str, text_key: str, language: str, **params: Any) -> None:
    view = blocks.done_modal(t(title_key, language), t(text_key, language, **params), language)
    ack(response_action="update", view=view)


# -- charters ------------------------------------------------------------------------------------
def open_charter(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    deps = _deps(context)
    user = user_from_interaction(body)
    language = deps.language(user)
    try:
        with deps.database.session() as session:
            tank_id = _id(action.get("value"))
            charters.member_of(session, user, tank_id)
            modal = views.charter_modal(tank_id, charters.charter_of(session, tank_id), language)
    except DomainError as error:
        logger.info("charter form refused for %s: %s", user.user_id, error.key)
        _say(respond, t(error.key, language, **error.params))
        return
    open_modal(client, respond, body["trigger_id"], modal, language)


def charter_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    deps = _deps(context)
    user = user_from_interaction(body)
    language = deps.language(user)
    values = view_values(view, views.CHARTER_FIELDS)
    data = charters.CharterInput(values["goal"], values["roles"], values["ground_rules"])
    try:
        with deps.database.session() as session:
            charter = charters.save_charter(session, user, _metadata(view, "t"), data)
            charter_id = charter.id
    except DomainError as error:
        if error.key == "programme.members_only":
            logger.warning("refused a charter by %s/%s: not a member", user.team_id, user.user_id)
        _form_errors(ack, error, views.CHARTER_FIELDS, language)
        return
    _done(ack, "programme.charter_title", "programme.charter_saved", language)
    deps.workers.submit(post_charter, deps, charter_id)


def post_charter(deps: Deps, charter_id: int) -> None:
    """Post (or edit in place) the charter in the group's conversation, and pin it once."""
    with deps.database.session() as session:
        charter = session.get(Charter, charter_id)
        tank = session.get(ThinkTank, charter.think_tank_id) if charter else None
        if charter is None or tank is None or not tank.conversation_id:
            return
        rendered = views.charter_message(charter, tank.language)
        channel, ts, pinned = tank.conversation_id, charter.message_ts, charter.pinned
    try:
        if ts:
            deps.gateway.update(channel, ts, rendered)
        else:
            ts = deps.gateway.post(channel, rendered)
        if not pinned:
            deps.gateway.pin(channel, ts)
            pinned = True
    except DeliveryError as error:
        logger.warning("charter %s: could not post or pin (%s)", charter_id, error.code)
    if ts:
        with deps.database.session() as session:
            charters.record_message(session, charter_id, ts, pinned)


# -- experiment cards ----------------------------------------------------------------------------
def _card_form(deps: Deps, user: SlackUser, experiment_id: int, language: str) -> dict[str, Any]:
    facilitator = is_facilitator(deps, user)
    with deps.database.session() as session:
        experiment = experiments.editable_experiment(
            session, user, experiment_id, facilitator=facilitator
        )
        goals = strategy_goals.active_goals(session, user.team_id)
        open_themes = themes.all_themes(session)
        return views.experiment_modal(experiment, goals, open_themes, language)


def open_experiment(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    deps = _deps(context)
    user = user_from_interaction(body)
    language = deps.language(user)
    try:
        modal = _card_form(deps, user, _id(action.get("value")), language)
    except DomainError as error:
        _say(respond, t(error.key, language, **error.params))
        return
    open_modal(client, respond, body["trigger_id"], modal, language)


def experiment_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    deps = _deps(context)
    user = user_from_interaction(body)
    language = deps.language(user)
    values = view_values(view, views.EXPERIMENT_FIELDS)
    data = experiments.CardInput(**values)
    facilitator = is_facilitator(deps, user)
    try:
        with deps.database.session() as session:
            experiment = experiments.fill_card(
                session, user, _metadata(view, "e"), data, facilitator=facilitator
            )
            card = views.experiment_card(experiment, language)
            experiment_id = experiment.id
    except DomainError as error:
        _form_errors(ack, error, views.EXPERIMENT_FIELDS, language)
        return
    _done(ack, "programme.experiment_title", "programme.card_saved", language, id=experiment_id)
    deps.workers.submit(_dm, deps, user.user_id, card)


def open_result(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    deps = _deps(context)
    user = user_from_interaction(body)
    language = deps.language(user)
    facilitator = is_facilitator(deps, user)
    try:
        with deps.database.session() as session:
            experiment = experiments.editable_experiment(
                session, user, _id(action.get("value")), facilitator=facilitator
            )
            modal = views.result_modal(experiment, language)
    except DomainError as error:
        _say(respond, t(error.key, language, **error.params))
        return
    open_modal(client, respond, body["trigger_id"], modal, language)


def result_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    deps = _deps(context)
    user = user_from_interaction(body)
    language = deps.language(user)
    values = view_values(view, views.RESULT_FIELDS)
    data = experiments.ResultInput(values["happened"], values["decision"], values["learned"])
    try:
        with deps.database.session() as session:
            experiments.record_result(
                session, user, _metadata(view, "e"), data, facilitator=is_facilitator(deps, user)
            )
    except DomainError as error:
        _form_errors(ack, error, views.RESULT_FIELDS, language)
        return
    _done(ack, "programme.result_title", "programme.result_saved", language)


# -- stage evaluations ---------------------------------------------------------------------------
def open_evaluation(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    deps = _deps(context)
    user = user_from_interaction(body)
    language = deps.language(user)
    try:
        with deps.database.session() as session:
            evaluation_id = _id(action.get("value"))
            key = polls.answer_key(session, deps.settings.answer_key)
            evaluation, _ = stage_evaluations.invitation(session, evaluation_id, user)
            answer = stage_evaluations.own_answer(session, evaluation_id, user, key)
            modal = views.evaluation_modal(evaluation, answer, language)
    except DomainError as error:
        logger.warning("stage evaluation refused for %s: %s", user.user_id, error.key)
        _say(respond, t(error.key, language, **error.params))
        return
    open_modal(client, respond, body["trigger_id"], modal, language)


def evaluation_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    deps = _deps(context)
    user = user_from_interaction(body)
    language = deps.language(user)
    values = view_values(view, views.EVALUATION_FIELDS)
    data = stage_evaluations.EvaluationInput(
        values["gave"], values["hard"], values["succeeded"], values["rating"]
    )
    try:
        with deps.database.session() as session:
            key = polls.answer_key(session, deps.settings.answer_key)
            stage_evaluations.record_evaluation(session, _metadata(view, "s"), user, data, key)
    except DomainError as error:
        _form_errors(ack, error, views.EVALUATION_FIELDS, language)
        return
    _done(ack, "programme.evaluation_title", "programme.evaluation_saved", language)


# -- after a stage move (called by handlers/pipeline.py after its ack) ---------------------------
def follow_up_move(
    deps: Deps, mover: SlackUser, experiment_id: int | None, evaluation_id: int | None
) -> None:
    """Invite the card's people to fill it in, and everyone involved to evaluate the stage."""
    try:
        if experiment_id is not None:
            _prompt_card(deps, mover, experiment_id)
        if evaluation_id is not None:
            stage_evaluations.send_invites(
                deps.database,
                deps.gateway,
                views.evaluation_invite,
                evaluation_id,
                deps.settings.default_language,
            )
    except Exception:
        logger.exception("follow-up of a stage move failed")


def _prompt_card(deps: Deps, mover: SlackUser, experiment_id: int) -> None:
    with deps.database.session() as session:
        experiment = session.get(Experiment, experiment_id)
        tank = (
            session.get(ThinkTank, experiment.think_tank_id)
            if experiment and experiment.think_tank_id
            else None
        )
        if experiment is None:
            return
        targets = [(tank.conversation_id, tank.language)] if tank and tank.conversation_id else []
        prompts = [
            (channel, views.experiment_prompt(experiment, lang)) for channel, lang in targets
        ]
    mover_prompt = views.experiment_prompt(experiment, deps.language(mover))
    for channel, rendered in prompts:
        try:
            deps.gateway.post(channel, rendered)
        except DeliveryError as error:
            logger.warning(
                "experiment %s: no prompt in %s (%s)", experiment_id, channel, error.code
            )
    _dm(deps, mover.user_id, mover_prompt)


def _dm(deps: Deps, user_id: str, rendered: dict[str, Any]) -> None:
    try:
        deps.gateway.post(deps.gateway.dm_channel(user_id), rendered)
    except DeliveryError as error:
        logger.warning("could not DM %s: %s", user_id, error.code)


# -- App Home (called by handlers/pipeline.py) --------------------------------------------------
def home_sections(deps: Deps, session: Session, user: SlackUser, language: str) -> dict[str, Any]:
    """The charters of the person's think tanks; for facilitators, the programme's figures."""
    tank_ids = charters.think_tank_ids_of(session, user)
    sections: dict[str, Any] = {"charters": charters.charters_of(session, tank_ids)}
    if is_facilitator(deps, user):
        period = parse_period(None, None, utcnow().date())
        sections["programme"] = views.home_summary(
            build_report(session, user.team_id, period), language
        )
    return sections


# -- /collider subcommands -----------------------------------------------------------------------
def goal_command(deps: Deps, ack: Ack, command: dict[str, Any], args: str) -> None:
    user = user_from_command(command)
    language = deps.language(user)
    verb, _, rest = args.strip().partition(" ")
    verb = verb.lower()
    if verb not in ("add", "list", "remove", "theme"):
        ack(response_type="ephemeral", **blocks.notice(t("programme.goal_usage", language)))
        return
    if not ack_unless_facilitator(deps, ack, user, f"goal {verb}", language):
        return
    try:
        with deps.database.session() as session:
            if verb == "add":
                goal = strategy_goals.add_goal(session, user, rest)
                answer = t(
                    "programme.goal_added",
                    language,
                    id=goal.id,
                    title=escape_within(goal.title, 200),
                )
            elif verb == "remove":
                goal = strategy_goals.remove_goal(session, user.team_id, _goal_id(rest))
                answer = t("programme.goal_removed", language, id=goal.id)
            elif verb == "theme":
                theme_text, _, goal_text = rest.strip().partition(" ")
                theme = strategy_goals.link_theme(
                    session, user.team_id, _goal_id(theme_text), _goal_id(goal_text)
                )
                answer = t(
                    "programme.goal_linked", language, theme=theme.id, goal=theme.strategy_goal_id
                )
            else:
                ack(
                    response_type="ephemeral",
                    **views.goals_list(
                        strategy_goals.active_goals(session, user.team_id), language
                    ),
                )
                return
    except DomainError as error:
        ack(response_type="ephemeral", **blocks.notice(t(error.key, language, **error.params)))
        return
    ack(response_type="ephemeral", **blocks.notice(answer))


def _goal_id(text: str) -> int:
    text = text.strip().lstrip("#")
    if not text.isdigit():
        raise InvalidInput("programme.goal_usage")
    return int(text)


def experiments_command(deps: Deps, ack: Ack, command: dict[str, Any], args: str) -> None:
    user = user_from_command(command)
    language = deps.language(user)
    if len(args) > 200:
        ack(response_type="ephemeral", **blocks.notice(t("programme.experiments_usage", language)))
        return
    try:
        wanted = experiments.parse_filter(args)
        with deps.database.session() as session:
            found = experiments.list_experiments(session, user.team_id, wanted)
            answer = views.experiments_list(found, language)
    except DomainError:
        ack(response_type="ephemeral", **blocks.notice(t("programme.experiments_usage", language)))
        return
    ack(response_type="ephemeral", **answer)


def programme_report_command(deps: Deps, ack: Ack, command: dict[str, Any], args: str) -> None:
    """Ack at once with a note; the report and its charts follow by DM from a worker."""
    user = user_from_command(command)
    language = deps.language(user)
    if not ack_unless_facilitator(deps, ack, user, "report programme", language):
        return
    words = args.split()
    try:
        if len(words) > 2:
            raise InvalidInput("programme.report_usage")
        period = parse_period(*(words + [None, None])[:2], today=utcnow().date())
    except DomainError as error:
        ack(response_type="ephemeral", **blocks.notice(t(error.key, language, **error.params)))
        return
    ack(response_type="ephemeral", **blocks.notice(t("programme.report_working", language)))
    deps.workers.submit(deliver_programme_report, deps, user, period.since, period.until, language)


def deliver_programme_report(
    deps: Deps, user: SlackUser, since: date, until: date, language: str
) -> None:
    try:
        with deps.database.session() as session:
            report = build_report(
                session, user.team_id, parse_period(since.isoformat(), until.isoformat(), until)
            )
        channel = deps.gateway.dm_channel(user.user_id)
        deps.gateway.post(channel, views.report_message(report, language))
        deps.gateway.upload_file(
            channel,
            dashboard(report, language),
            "programme-report.png",
            t("programme.report_title", language),
        )
    except DeliveryError as error:
        logger.warning("could not deliver the programme report to %s: %s", user.user_id, error.code)
    except Exception:
        logger.exception("programme report failed for %s", user.user_id)


def _with_report(deps: Deps, original: Subcommand | None) -> Subcommand:
    """``/collider report programme ...`` is ours; any other report goes where it went before."""

    def report(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        first, _, rest = args.strip().partition(" ")
        if first.lower() == "programme" or original is None:
            programme_report_command(deps, ack, command, rest)
        else:
            original(ack, command, args, client, respond)

    return report


def register(app: App, deps: Deps) -> None:
    def provide_deps(context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002
        context["deps"] = deps
        next()

    with_deps = [provide_deps]
    app.action(views.CHARTER_OPEN, middleware=with_deps)(open_charter)
    app.view(views.CHARTER_MODAL, middleware=with_deps)(charter_submitted)
    app.action(views.EXPERIMENT_OPEN, middleware=with_deps)(open_experiment)
    app.view(views.EXPERIMENT_MODAL, middleware=with_deps)(experiment_submitted)
    app.action(views.RESULT_OPEN, middleware=with_deps)(open_result)
    app.view(views.RESULT_MODAL, middleware=with_deps)(result_submitted)
    app.action(views.EVALUATION_OPEN, middleware=with_deps)(open_evaluation)
    app.view(views.EVALUATION_MODAL, middleware=with_deps)(evaluation_submitted)
    deps.subcommands.update(
        {
            "goal": lambda ack, command, args, client, respond: goal_command(
                deps, ack, command, args
            ),
            "experiments": lambda ack, command, args, client, respond: experiments_command(
                deps, ack, command, args
            ),
            # Registered after handlers/polls.py (bot/app.py keeps the order).
            "report": _with_report(deps, deps.subcommands.get("report")),
        }
    )
