"""``/collider join|leave|pause|avoid|unavoid``: each person's own matchmaking controls."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from handlers import blocks
from handlers.context import Deps, mentioned_user
from handlers.listening import Person, listener, subcommand, subcommand_args
from i18n import t
from services import participation
from services.participants import SlackUser

# What a control did: the text's key and its parameters.
Outcome = tuple[str, dict[str, Any]]


def _answer(ack: Ack, person: Person, outcome: Outcome) -> None:
    key, params = outcome
    ack(response_type="ephemeral", **blocks.notice(t(key, person.language, **params)))


def join(ack: Ack, person: Person, deps: Deps) -> None:
    with deps.database.session() as session:
        participation.join(session, person.user)
    _answer(ack, person, ("rounds.joined", {}))


def leave(ack: Ack, person: Person, deps: Deps) -> None:
    with deps.database.session() as session:
        participation.leave(session, person.user)
    _answer(ack, person, ("rounds.left", {}))


def pause(ack: Ack, command: dict[str, Any], person: Person, deps: Deps) -> None:
    with deps.database.session() as session:
        until = participation.pause(
            session, person.user, subcommand_args(command), person.time_zone
        )
    # The date itself: t() writes it as the person's language does (31.12.2030, 31 dec. 2030).
    _answer(ack, person, ("rounds.paused", {"date": until}))


def avoid(ack: Ack, command: dict[str, Any], person: Person, deps: Deps) -> None:
    """``avoid @someone`` adds; a bare ``avoid`` lists whom the person avoids."""
    args = subcommand_args(command)
    target = mentioned_user(args)
    user = person.user
    with deps.database.session() as session:
        if not args:
            avoided = participation.avoided_user_ids(session, user)
            outcome: Outcome = (
                ("rounds.avoid_list", {"users": ", ".join(f"<@{u}>" for u in avoided)})
                if avoided
                else ("rounds.avoid_empty", {})
            )
        elif not target:
            outcome = ("rounds.avoid_usage", {})
        else:
            participation.avoid(session, user, SlackUser(user.team_id, target))
            outcome = ("rounds.avoid_added", {"user": f"<@{target}>"})
    _answer(ack, person, outcome)


def unavoid(ack: Ack, command: dict[str, Any], person: Person, deps: Deps) -> None:
    target = mentioned_user(subcommand_args(command))
    if not target:
        _answer(ack, person, ("rounds.avoid_usage", {}))
        return
    user = person.user
    with deps.database.session() as session:
        participation.unavoid(session, user, SlackUser(user.team_id, target))
    _answer(ack, person, ("rounds.avoid_removed", {"user": f"<@{target}>"}))


def register(app: App, deps: Deps) -> None:
    app.command("/collider", matchers=[subcommand("join")])(listener(join))
    app.command("/collider", matchers=[subcommand("leave")])(listener(leave))
    app.command("/collider", matchers=[subcommand("pause")])(listener(pause))
    app.command("/collider", matchers=[subcommand("avoid")])(listener(avoid))
    app.command("/collider", matchers=[subcommand("unavoid")])(listener(unavoid))
