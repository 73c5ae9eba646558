"""Facilitators collide people: the match form, the preview and its actions, confirming."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, Respond

from handlers import blocks, ids, round_blocks
from handlers.context import Deps, mentioned_user, read_json, view_values
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
from handlers.theme_blocks import chosen_theme_id
from i18n import t
from services import facilitators, matchmaking, schedules, themes
from services.delivery import DeliveryError
from services.errors import DomainError, InvalidInput
from services.local_time import local_day
from services.record_ids import carried_id, carried_number
from services.round_workflow import carry_out, deliver_preview, deliver_preview_file

logger = logging.getLogger(__name__)


def _round_fields(ref: dict[str, Any]) -> dict[str, Any]:
    return {"r": carried_id(ref["r"]), "v": carried_id(ref["v"])}


def _round_ref(value: str | None) -> dict[str, Any]:
    """A preview button's value (or the move form's metadata): the round and its version."""
    return read_json(value, _round_fields)


def _lock_ref(value: str | None) -> dict[str, Any]:
    """A lock button's value: the round, its version, the group's number and whether to lock
    (read inside ``read_json``: a crafted number, ``1e309`` or ``"x"``, is a bad request)."""
    return read_json(
        value,
        lambda ref: {
            **_round_fields(ref),
            "n": carried_id(ref["n"]),
            "lock": ref.get("lock") is True,
        },
    )


def _int(value: str | None, field: str) -> int:
    """A number field of a form (its range is the service's to judge)."""
    return carried_number(value, "errors.bad_choice", field=field)


def match_form(person: Person, deps: Deps) -> Modal:
    """``/collider match``: the form for a new round."""
    with deps.database.session() as session:
        return round_blocks.match_modal(
            person.language, themes.any_theme(session, person.user.team_id)
        )


def manage_facilitators(ack: Ack, command: dict[str, Any], person: Person, deps: Deps) -> None:
    """``/collider facilitator add|remove @someone``."""
    language = person.language
    verb, _, rest = subcommand_args(command).partition(" ")
    target = mentioned_user(rest)
    if verb not in ("add", "remove") or not target:
        ack(response_type="ephemeral", **blocks.notice(t("rounds.facilitator_usage", language)))
        return
    with deps.database.session() as session:
        if verb == "add":
            facilitators.add_facilitator(session, person.user, target)
        else:
            facilitators.remove_facilitator(session, person.user, target)
    key = "rounds.facilitator_added" if verb == "add" else "rounds.facilitator_removed"
    ack(response_type="ephemeral", **blocks.notice(t(key, language, user=f"<@{target}>")))


def schedule(ack: Ack, command: dict[str, Any], person: Person, deps: Deps) -> None:
    """``/collider schedule WEEKS [auto]`` or ``/collider schedule off``."""
    language, user = person.language, person.user
    args = subcommand_args(command)
    with deps.database.session() as session:
        if args.lower() == "off":
            schedules.stop_schedules(session, user.team_id)
            text = t("rounds.schedule_off", language)
        else:
            weeks, auto = schedules.parse_schedule(args)
            zone = ZoneInfo(deps.settings.time_zone)
            planned = schedules.set_schedule(session, user, weeks, auto, zone)
            mode = t("rounds.schedule_auto" if auto else "rounds.schedule_preview", language)
            text = t(
                "rounds.scheduled",
                language,
                weeks=weeks,
                # The day on the schedule's clock, written as the person's language does.
                date=local_day(planned.next_run_at, zone),
                mode=mode,
            )
    ack(response_type="ephemeral", **blocks.notice(text))


# The round settings' field names, where they differ from the form's.
_MATCH_ERROR_FIELDS = {**ids.MATCH_FIELDS, "sizes": ids.MATCH_FIELDS["min_size"]}


def match_submitted(ack: Ack, view: dict[str, Any], person: Person, deps: Deps) -> None:
    """The match form: the preview is built after the ack and sent to the facilitator's DM."""
    language, user = person.language, person.user
    values = view_values(view, ids.MATCH_FIELDS)
    try:
        settings = matchmaking.RoundSettings(
            min_size=_int(values["min_size"], "min_size"),
            max_size=_int(values["max_size"], "max_size"),
            min_distinct=_int(values["diversity"], "diversity"),
            repeat_window=_int(values["window"], "window"),
            since=values["since"],
            theme_id=chosen_theme_id(values["theme"], "theme"),
            around_needs="around_needs" in (values["options"] or ""),
            include_offline="include_offline" in (values["options"] or ""),
        ).validate()
    except InvalidInput as error:
        ack(**form_errors(error, person, _MATCH_ERROR_FIELDS, "min_size"))
        return
    working = blocks.done_modal(
        t("rounds.working_title", language), t("rounds.working", language), language
    )
    ack(response_action="update", view=working)
    # The workflow tells the facilitator itself when matching fails; this logs what it missed.
    run_after_ack(
        deps,
        deliver_preview,
        deps.outbound,
        user,
        settings,
        values["channel"],
        what="preview",
        person=person,
    )


def _redraw_preview(deps: Deps, respond: Respond, language: str, change: Any) -> None:
    """Apply a preview change and redraw the preview (a refusal rises to be answered)."""
    with deps.database.session() as session:
        round_ = change(session)
        answer = round_blocks.preview_message(round_, language)
    respond(replace_original=True, **answer)


def lock_member(
    ack: Ack, action: dict[str, Any], respond: Respond, person: Person, deps: Deps
) -> None:
    ack()
    ref = _lock_ref(action.get("value"))
    _redraw_preview(
        deps,
        respond,
        person.language,
        lambda s: matchmaking.set_locked(s, ref["r"], ref["v"], ref["n"], ref["lock"]),
    )


def discard_preview(
    ack: Ack, action: dict[str, Any], respond: Respond, person: Person, deps: Deps
) -> None:
    ack()
    ref = _round_ref(action.get("value"))
    with deps.database.session() as session:
        matchmaking.discard(session, ref["r"], ref["v"])
    respond(replace_original=True, **blocks.notice(t("rounds.discarded", person.language)))


def rerun_preview(
    ack: Ack, action: dict[str, Any], respond: Respond, person: Person, deps: Deps
) -> None:
    """Group the pool again (after the ack: matching takes a moment)."""
    ack()
    ref = _round_ref(action.get("value"))
    run_after_ack(
        deps,
        _redraw_preview,
        deps,
        respond,
        person.language,
        lambda s: matchmaking.rerun_preview(s, ref["r"], ref["v"], deps.settings.default_language),
        what=f"rerun of round {ref['r']}",
        person=person,
        tell=lambda message: respond(response_type="ephemeral", replace_original=False, **message),
    )


def confirm_round(
    ack: Ack, action: dict[str, Any], respond: Respond, person: Person, deps: Deps
) -> None:
    """Confirm the preview: the think tanks are started after the ack."""
    ack()
    ref, user = _round_ref(action.get("value")), person.user
    with deps.database.session() as session:
        round_ = matchmaking.confirm(session, ref["r"], ref["v"], user)
        groups = len(round_.think_tanks)
    text = t("rounds.confirmed", person.language, user=f"<@{user.user_id}>", groups=groups)
    respond(replace_original=True, **blocks.notice(text))
    run_after_ack(deps, carry_out, deps.outbound, ref["r"], what=f"round {ref['r']}", person=person)


def send_preview_file(
    ack: Ack, action: dict[str, Any], respond: Respond, person: Person, deps: Deps
) -> None:
    """*Send everything as a file* in a preview too long for one message: every group, by DM."""
    ack()
    ref = _round_ref(action.get("value"))
    run_after_ack(
        deps,
        deliver_preview_file,
        deps.outbound,
        person.user,
        ref["r"],
        what=f"preview file of round {ref['r']}",
        person=person,
        tell=lambda message: respond(response_type="ephemeral", replace_original=False, **message),
    )


def move_form(action: dict[str, Any], person: Person, deps: Deps) -> Modal:
    """*Move someone*: the form to put one person of the preview in another group."""
    ref = _round_ref(action.get("value"))
    with deps.database.session() as session:
        return round_blocks.move_modal(matchmaking.load_round(session, ref["r"]), person.language)


def search_members(
    ack: Ack, body: dict[str, Any], payload: dict[str, Any], person: Person, deps: Deps
) -> None:
    """The move form's person field as the facilitator types: the preview's members."""
    ref = _round_ref((body.get("view") or {}).get("private_metadata"))
    query = str(payload.get("value") or "")[:200]
    with deps.database.session() as session:
        choices = matchmaking.find_members(session, ref["r"], query)
    ack(**round_blocks.member_options(choices, person.language))


def move_submitted(ack: Ack, view: dict[str, Any], person: Person, deps: Deps) -> None:
    """Move one person to another group; the preview message is redrawn."""
    values = view_values(view, ids.MOVE_FIELDS)
    try:
        ref = _round_ref(view.get("private_metadata"))
        with deps.database.session() as session:
            round_ = matchmaking.move_member(
                session,
                ref["r"],
                ref["v"],
                carried_id(values["person"], "errors.bad_choice", field="person"),
                _int(values["group"], "group"),
            )
            answer = round_blocks.preview_message(round_, person.language)
            where = (round_.preview_channel, round_.preview_ts)
    except DomainError as error:
        ack(**form_errors(error, person, ids.MOVE_FIELDS, "person"))
        return
    ack()
    if where[0] and where[1]:
        try:
            deps.gateway.update(where[0], where[1], answer)
        except DeliveryError as error:
            logger.warning("could not redraw preview: %s", error.code)


def register(app: App, deps: Deps) -> None:
    def facilitators_command(name: str, registered: Any) -> None:
        app.command("/collider", matchers=[subcommand(name)], middleware=[facilitators_only(name)])(
            registered
        )

    facilitators_command("match", form_opener(match_form))
    facilitators_command("facilitator", listener(manage_facilitators))
    facilitators_command("schedule", listener(schedule))
    app.view(
        ids.MATCH_MODAL,
        middleware=[facilitators_only("match form", form_block=ids.MATCH_FIELDS["min_size"])],
    )(listener(match_submitted))
    for action_id, function in (
        (ids.ROUND_LOCK, lock_member),
        (ids.ROUND_DISCARD, discard_preview),
        (ids.ROUND_RERUN, rerun_preview),
        (ids.ROUND_CONFIRM, confirm_round),
        (ids.PREVIEW_FILE, send_preview_file),
    ):
        app.action(action_id, middleware=[facilitators_only(action_id)])(listener(function))
    app.action(ids.ROUND_MOVE, middleware=[facilitators_only(ids.ROUND_MOVE)])(
        form_opener(move_form)
    )
    app.options(ids.MOVE_PERSON_CHOICE, middleware=[facilitators_only("move search")])(
        listener(search_members)
    )
    app.view(
        ids.MOVE_MODAL,
        middleware=[facilitators_only("move form", form_block=ids.MOVE_FIELDS["person"])],
    )(listener(move_submitted))
