"""Evaluation polls in Slack: answering in the DM, the text modal, and the facilitator commands
``/collider poll send|new`` and ``/collider report [round N | tank N | theme WORD]``."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond

from handlers import blocks, ids, poll_blocks
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
from handlers.mrkdwn import escape_within
from handlers.pipeline_blocks import report as pipeline_report
from i18n import t
from services import pipeline, poll_reports, polls, themes
from services.answer_keys import answer_keys
from services.delivery import DeliveryError
from services.errors import DomainError, InvalidInput, NotAllowed
from services.poll_workflow import deliver_report, deliver_report_file, send_poll_now
from services.record_ids import carried_id, carried_number

logger = logging.getLogger(__name__)


def _poll_ref(value: str | None) -> dict[str, Any]:
    return read_json(
        value,
        lambda ref: {
            "p": carried_id(ref["p"]),
            "q": str(ref.get("q", "")),
            "v": str(ref.get("v", "")),
        },
    )


def _chosen_id(value: str | None, field: str) -> int | None:
    """The id of the option chosen in ``field``, or None when none was chosen."""
    if not (value or "").strip():
        return None
    return carried_id(value, "errors.bad_choice", field=field)


def _int_or_none(value: str | None, field: str) -> int | None:
    if not (value or "").strip():
        return None
    return carried_number(value, "errors.bad_choice", field=field)


def poll_form(command: dict[str, Any], person: Person, deps: Deps) -> Modal:
    """``/collider poll new`` (a template) or ``/collider poll send`` (an ad-hoc poll)."""
    language, user = person.language, person.user
    verb = subcommand_args(command).lower()
    if verb not in ("send", "new"):
        raise InvalidInput("polls.usage")
    if verb == "new":
        return poll_blocks.template_modal(language)
    with deps.database.session() as session:
        latest, _ = polls.find_rounds(session, user.team_id, limit=1)
        if not latest:
            raise InvalidInput("polls.no_rounds")
        return poll_blocks.send_modal(latest[0], language)


def report(ack: Ack, command: dict[str, Any], person: Person, deps: Deps) -> None:
    """The pipeline at once (everything, or one theme); poll results and chart by DM."""
    language, user = person.language, person.user
    scope = poll_reports.parse_scope(subcommand_args(command))
    with deps.database.session() as session:
        # Before the ack: the worker that builds the report cannot tell the person it is wrong.
        poll_reports.require_scope(session, user.team_id, scope)
        theme = (
            themes.find_theme(session, user.team_id, scope.value) if scope.kind == "theme" else None
        )
        if scope.kind == "theme" and theme is None:
            raise InvalidInput("themes.not_found", id=escape_within(scope.value, 40))
        if theme is not None:
            scope = poll_reports.Scope("theme", str(theme.id))
        working = t("polls.report_working", language)
        if scope.kind in ("all", "theme"):
            summary = pipeline.pipeline_summary(session, user.team_id, theme.id if theme else None)
            answer = pipeline_report(summary, language, theme.title if theme else None)
            answer["blocks"].append(blocks.context(working))
        else:
            answer = blocks.notice(working)
    ack(response_type="ephemeral", **answer)
    run_after_ack(deps, deliver_report, deps.outbound, user, scope, what="report", person=person)


def send_report_file(
    ack: Ack, action: dict[str, Any], respond: Respond, person: Person, deps: Deps
) -> None:
    """*Send everything as a file* under a report: the whole report, by DM, after the ack."""
    ack()
    scope = read_json(
        action.get("value"),
        lambda ref: poll_reports.checked_scope(str(ref["k"]), str(ref.get("v") or "")),
    )
    run_after_ack(
        deps,
        deliver_report_file,
        deps.outbound,
        person.user,
        scope,
        what="report file",
        person=person,
        tell=lambda message: respond(response_type="ephemeral", replace_original=False, **message),
    )


def template_submitted(ack: Ack, view: dict[str, Any], person: Person, deps: Deps) -> None:
    language = person.language
    values = view_values(view, ids.TEMPLATE_FIELDS)
    try:
        with deps.database.session() as session:
            template = polls.create_template(
                session, person.user, values["name"] or "", values["questions"] or ""
            )
            name, count = escape_within(template.name, 150), len(template.questions)
    except InvalidInput as error:
        ack(**form_errors(error, person, ids.TEMPLATE_FIELDS, "questions"))
        return
    text = t("polls.template_saved", language, name=name, count=count)
    done = blocks.done_modal(t("polls.template_modal_title", language), text, language)
    ack(response_action="update", view=done)


def send_submitted(ack: Ack, view: dict[str, Any], person: Person, deps: Deps) -> None:
    language, user = person.language, person.user
    fields = ids.POLL_SEND_FIELDS
    values = view_values(view, fields)
    try:
        template = values["template"] or poll_blocks.DEFAULT_TEMPLATE
        request = polls.AdHocPoll(
            round_id=_chosen_id(values["round"], "round") or 0,
            think_tank_number=_int_or_none(values["tank"], "tank"),
            template_id=None
            if template == poll_blocks.DEFAULT_TEMPLATE
            else _chosen_id(template, "template"),
            days=_int_or_none(values["days"], "days") or 0,
            anonymous="attributed" not in (values["options"] or ""),
        )
        with deps.database.session() as session:
            poll_id = polls.create_adhoc_poll(session, user, request).id
    except DomainError as error:
        ack(**form_errors(error, person, fields, "round"))
        return
    text = t("polls.sending", language, poll=poll_id)
    ack(
        response_action="update",
        view=blocks.done_modal(t("polls.send_modal_title", language), text, language),
    )
    run_after_ack(
        deps, send_poll_now, deps.outbound, poll_id, what=f"poll {poll_id}", person=person
    )


def search_rounds(ack: Ack, payload: dict[str, Any], person: Person, deps: Deps) -> None:
    """The poll form's round field as the facilitator types a number."""
    query = str(payload.get("value") or "")[:20]
    with deps.database.session() as session:
        rounds, more = polls.find_rounds(session, person.user.team_id, query)
        answer = poll_blocks.round_options(rounds, more, person.language)
    ack(**answer)


def search_templates(ack: Ack, payload: dict[str, Any], person: Person, deps: Deps) -> None:
    """The poll form's questions field as the facilitator types a template's name."""
    query = str(payload.get("value") or "")[:200]
    with deps.database.session() as session:
        found, more = polls.find_templates(session, person.user.team_id, query)
        answer = poll_blocks.template_options(found, more, query, person.language)
    ack(**answer)


def answered(
    ack: Ack, action: dict[str, Any], respond: Respond, person: Person, deps: Deps
) -> None:
    """A button answer in the poll DM: recorded, and the message redrawn."""
    ack()
    ref = _poll_ref(action.get("value"))
    try:
        with deps.database.session() as session:
            keys = answer_keys(session, deps.settings)
            poll, answers = polls.record_answers(
                session, ref["p"], person.user, {ref["q"]: ref["v"]}, keys
            )
            redrawn = poll_blocks.poll_message(poll, answers, person.language)
    except NotAllowed:
        _log_foreign_answer(ref["p"], person)
        raise  # answered as a refusal by ``listener``
    respond(replace_original=True, **redrawn)


def text_form(action: dict[str, Any], person: Person, deps: Deps) -> Modal:
    """The button for written answers: the text form, filled with what was written."""
    ref = _poll_ref(action.get("value"))
    try:
        with deps.database.session() as session:
            keys = answer_keys(session, deps.settings)
            poll, answers = polls.answers_of(session, ref["p"], person.user, keys)
            if not polls.is_open(poll):
                raise InvalidInput("polls.closed")
            return poll_blocks.text_modal(poll, answers, person.language)
    except NotAllowed:
        _log_foreign_answer(ref["p"], person)
        raise


def text_submitted(ack: Ack, view: dict[str, Any], person: Person, deps: Deps) -> None:
    """Written answers: recorded, the poll message redrawn; a refusal is shown in the form."""
    language = person.language
    poll_id: Any = None
    state = (view.get("state") or {}).get("values") or {}
    try:
        poll_id = _poll_ref(view.get("private_metadata"))["p"]
        fields = {
            block_id.removeprefix(ids.POLL_TEXT_PREFIX): block_id
            for block_id in state
            if block_id.startswith(ids.POLL_TEXT_PREFIX)
        }
        texts = {name: value or "" for name, value in view_values(view, fields).items()}
        with deps.database.session() as session:
            keys = answer_keys(session, deps.settings)
            poll, answers = polls.record_answers(session, poll_id, person.user, texts, keys)
            channel, ts = polls.message_of(session, poll_id, person.user)
            redrawn = poll_blocks.poll_message(poll, answers, language)
    except DomainError as error:
        ack(**_text_refusal(error, person, poll_id, state))
        return
    done = blocks.done_modal(
        t("polls.text_modal_title", language), t("polls.text_saved", language), language
    )
    ack(response_action="update", view=done)
    if channel and ts:
        try:
            deps.gateway.update(channel, ts, redrawn)
        except DeliveryError as error:
            logger.warning("could not redraw poll %s: %s", poll_id, error.code)


def _text_refusal(
    error: DomainError, person: Person, poll_id: Any, state: dict[str, Any]
) -> dict[str, Any]:
    """Under the answer it concerns, if the form has it; else in place of the form."""
    field = getattr(error, "field", None)
    block = f"{ids.POLL_TEXT_PREFIX}{field}" if field else None
    if isinstance(error, InvalidInput) and field and block and block in state:
        return form_errors(error, person, {field: block}, field)
    if isinstance(error, NotAllowed):
        _log_foreign_answer(poll_id, person)
    language = person.language
    text = t(error.key, language, **error.params)
    title = t("polls.text_modal_title", language)
    return {"response_action": "update", "view": blocks.done_modal(title, text, language)}


def _log_foreign_answer(poll_id: Any, person: Person) -> None:
    """For the security log: someone answered a poll that was not sent to them."""
    user = person.user
    logger.warning(
        "refused an answer to poll %s by %s/%s: not sent to them",
        poll_id,
        user.team_id,
        user.user_id,
    )


def register(app: App, deps: Deps) -> None:
    app.command("/collider", matchers=[subcommand("poll")], middleware=[facilitators_only("poll")])(
        form_opener(poll_form, refuses_in_ack=True)
    )
    # ``report programme`` is the programme report's own listener (handlers/programme.py).
    app.command(
        "/collider",
        matchers=[subcommand("report", excluding=("programme",))],
        middleware=[facilitators_only("report")],
    )(listener(report))
    app.view(
        ids.POLL_TEMPLATE_MODAL,
        middleware=[facilitators_only("poll template", form_block=ids.TEMPLATE_FIELDS["name"])],
    )(listener(template_submitted))
    app.view(
        ids.POLL_SEND_MODAL,
        middleware=[facilitators_only("poll send", form_block=ids.POLL_SEND_FIELDS["round"])],
    )(listener(send_submitted))
    for action_id, search in (
        (ids.POLL_ROUND_CHOICE, search_rounds),
        (ids.POLL_TEMPLATE_CHOICE, search_templates),
    ):
        app.options(action_id, middleware=[facilitators_only("poll search")])(listener(search))
    app.action(re.compile("^" + re.escape(ids.POLL_ANSWER_PREFIX)))(listener(answered))
    app.action(ids.POLL_WRITE)(form_opener(text_form))
    app.action(ids.REPORT_FILE, middleware=[facilitators_only("report file")])(
        listener(send_report_file)
    )
    app.view(ids.POLL_TEXT_MODAL)(listener(text_submitted))
