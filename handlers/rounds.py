"""Facilitators collide people: the match form, the preview and its actions, confirming."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers import blocks, ids, round_blocks
from handlers.context import (
    Deps,
    mentioned_user,
    open_modal,
    user_from_command,
    user_from_interaction,
    view_values,
)
from handlers.roles import ack_unless_facilitator, form_unless_facilitator
from i18n import t
from services import facilitators, matchmaking, schedules, themes
from services.delivery import DeliveryError
from services.errors import DomainError, InvalidInput
from services.round_workflow import carry_out, deliver_preview

logger = logging.getLogger(__name__)


def _round_ref(value: str | None) -> dict[str, Any]:
    try:
        ref = json.loads(value or "")
        return {
            "r": int(ref["r"]),
            "v": int(ref["v"]),
            **{k: v for k, v in ref.items() if k not in "rv"},
        }
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("errors.bad_request") from None


def _int(value: str | None, field: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise InvalidInput("errors.bad_choice", field=field) from None


def register(app: App, deps: Deps) -> None:
    def match(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        user = user_from_command(command)
        language = deps.language(user)
        if not ack_unless_facilitator(deps, ack, user, "match", language):
            return
        ack()
        with deps.database.session() as session:
            modal = round_blocks.match_modal(language, themes.all_themes(session))
        open_modal(client, respond, command["trigger_id"], modal, language)

    def facilitator(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        user = user_from_command(command)
        language = deps.language(user)
        verb, _, rest = args.partition(" ")
        target = mentioned_user(rest)
        if verb not in ("add", "remove") or not target:
            ack(response_type="ephemeral", **blocks.notice(t("rounds.facilitator_usage", language)))
            return
        if not ack_unless_facilitator(deps, ack, user, f"facilitator {verb}", language):
            return
        with deps.database.session() as session:
            if verb == "add":
                facilitators.add_facilitator(session, user, target)
            else:
                facilitators.remove_facilitator(session, user, target)
        key = "rounds.facilitator_added" if verb == "add" else "rounds.facilitator_removed"
        ack(response_type="ephemeral", **blocks.notice(t(key, language, user=f"<@{target}>")))

    def schedule(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        user = user_from_command(command)
        language = deps.language(user)
        if not ack_unless_facilitator(deps, ack, user, "schedule", language):
            return
        try:
            with deps.database.session() as session:
                if args.strip().lower() == "off":
                    schedules.stop_schedules(session, user.team_id)
                    text = t("rounds.schedule_off", language)
                else:
                    weeks, auto = schedules.parse_schedule(args)
                    planned = schedules.set_schedule(session, user, weeks, auto)
                    mode = t(
                        "rounds.schedule_auto" if auto else "rounds.schedule_preview", language
                    )
                    text = t(
                        "rounds.scheduled",
                        language,
                        weeks=weeks,
                        date=planned.next_run_at.date().isoformat(),
                        mode=mode,
                    )
        except DomainError as error:
            text = t(error.key, language, **error.params)
        ack(response_type="ephemeral", **blocks.notice(text))

    deps.subcommands.update({"match": match, "facilitator": facilitator, "schedule": schedule})

    @app.view(ids.MATCH_MODAL)
    def match_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        user = user_from_interaction(body)
        language = deps.language(user)
        if not form_unless_facilitator(
            deps, ack, user, "match form", language, ids.MATCH_FIELDS["min_size"]
        ):
            return
        values = view_values(view, ids.MATCH_FIELDS)
        try:
            settings = matchmaking.RoundSettings(
                min_size=_int(values["min_size"], "min_size"),
                max_size=_int(values["max_size"], "max_size"),
                min_distinct=_int(values["diversity"], "diversity"),
                repeat_window=_int(values["window"], "window"),
                since=values["since"],
                theme_id=_int(values["theme"], "theme") if values["theme"] else None,
                around_needs="around_needs" in (values["options"] or ""),
            ).validate()
        except InvalidInput as error:
            field = {
                "sizes": "min_size",
                "diversity": "diversity",
                "window": "window",
                "since": "since",
            }.get(error.field or "", error.field or "min_size")
            block = ids.MATCH_FIELDS.get(field, ids.MATCH_FIELDS["min_size"])
            ack(response_action="errors", errors={block: t(error.key, language, **error.params)})
            return
        working = blocks.done_modal(
            t("rounds.working_title", language), t("rounds.working", language), language
        )
        ack(response_action="update", view=working)
        deps.workers.submit(
            deliver_preview,
            deps.outbound,
            user,
            settings,
            values["channel"],
        )

    def _with_round(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond, what: str
    ):
        user = user_from_interaction(body)
        if not ack_unless_facilitator(deps, respond, user, what, deps.language(user)):
            return None, None, None
        try:
            return user, _round_ref(action.get("value")), deps.language(user)
        except DomainError as error:
            respond(
                response_type="ephemeral",
                replace_original=False,
                **blocks.notice(t(error.key, deps.language(user))),
            )
            return None, None, None

    def _after(respond: Respond, language: str, change: Any) -> None:
        """Apply a preview change and redraw the preview, or explain why not."""
        try:
            with deps.database.session() as session:
                round_ = change(session)
                answer = round_blocks.preview_message(round_, language)
        except DomainError as error:
            respond(
                response_type="ephemeral",
                replace_original=False,
                **blocks.notice(t(error.key, language, **error.params)),
            )
            return
        respond(replace_original=True, **answer)

    @app.action(ids.ROUND_LOCK)
    def lock(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        user, ref, language = _with_round(body, action, client, respond, "lock")
        if ref:
            _after(
                respond,
                language,
                lambda s: matchmaking.set_locked(
                    s, ref["r"], ref["v"], int(ref.get("n", 0)), bool(ref.get("lock"))
                ),
            )

    @app.action(ids.ROUND_DISCARD)
    def discard(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        user, ref, language = _with_round(body, action, client, respond, "discard")
        if not ref:
            return
        try:
            with deps.database.session() as session:
                matchmaking.discard(session, ref["r"], ref["v"])
        except DomainError as error:
            respond(
                response_type="ephemeral",
                replace_original=False,
                **blocks.notice(t(error.key, language)),
            )
            return
        respond(replace_original=True, **blocks.notice(t("rounds.discarded", language)))

    @app.action(ids.ROUND_RERUN)
    def rerun(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        user, ref, language = _with_round(body, action, client, respond, "rerun")
        if ref:
            deps.workers.submit(
                _after,
                respond,
                language,
                lambda s: matchmaking.rerun_preview(
                    s, ref["r"], ref["v"], deps.settings.default_language
                ),
            )

    @app.action(ids.ROUND_CONFIRM)
    def confirm(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        user, ref, language = _with_round(body, action, client, respond, "confirm")
        if not ref:
            return
        try:
            with deps.database.session() as session:
                round_ = matchmaking.confirm(session, ref["r"], ref["v"], user)
                groups = len(round_.think_tanks)
        except DomainError as error:
            respond(
                response_type="ephemeral",
                replace_original=False,
                **blocks.notice(t(error.key, language)),
            )
            return
        respond(
            replace_original=True,
            **blocks.notice(
                t("rounds.confirmed", language, user=f"<@{user.user_id}>", groups=groups)
            ),
        )
        deps.workers.submit(carry_out, deps.outbound, ref["r"])

    @app.action(ids.ROUND_MOVE)
    def move(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        user, ref, language = _with_round(body, action, client, respond, "move")
        if not ref:
            return
        with deps.database.session() as session:
            round_ = matchmaking.load_round(session, ref["r"])
            modal = round_blocks.move_modal(round_, language)
        open_modal(client, respond, body["trigger_id"], modal, language)

    @app.view(ids.MOVE_MODAL)
    def move_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        user = user_from_interaction(body)
        language = deps.language(user)
        if not form_unless_facilitator(
            deps, ack, user, "move form", language, ids.MOVE_FIELDS["person"]
        ):
            return
        values = view_values(view, ids.MOVE_FIELDS)
        try:
            ref = _round_ref(view.get("private_metadata"))
            with deps.database.session() as session:
                round_ = matchmaking.move_member(
                    session,
                    ref["r"],
                    ref["v"],
                    _int(values["person"], "person"),
                    _int(values["group"], "group"),
                )
                answer = round_blocks.preview_message(round_, language)
                where = (round_.preview_channel, round_.preview_ts)
        except DomainError as error:
            block = (
                ids.MOVE_FIELDS["group"]
                if getattr(error, "field", None) == "group"
                else ids.MOVE_FIELDS["person"]
            )
            ack(response_action="errors", errors={block: t(error.key, language, **error.params)})
            return
        ack()
        if where[0] and where[1]:
            try:
                deps.gateway.update(where[0], where[1], answer)
            except DeliveryError as error:
                logger.warning("could not redraw preview: %s", error.code)
