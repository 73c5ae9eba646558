"""``/collider join|leave|pause|avoid|unavoid``: each person's own matchmaking controls."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers import blocks
from handlers.context import Deps, mentioned_user, user_from_command
from i18n import t
from services import participation
from services.errors import DomainError
from services.participants import SlackUser


def register(app: App, deps: Deps) -> None:
    def answer(ack: Ack, command: dict[str, Any], work: Any) -> None:
        user = user_from_command(command)
        try:
            with deps.database.session() as session:
                key, params = work(session, user)
        except DomainError as error:
            ack(
                response_type="ephemeral",
                **blocks.notice(t(error.key, deps.language(user), **error.params)),
            )
            return
        ack(response_type="ephemeral", **blocks.notice(t(key, deps.language(user), **params)))

    def join(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        answer(ack, command, lambda s, u: (participation.join(s, u) and "rounds.joined", {}))

    def leave(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        answer(ack, command, lambda s, u: (participation.leave(s, u) and "rounds.left", {}))

    def pause(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        answer(
            ack,
            command,
            lambda s, u: ("rounds.paused", {"date": participation.pause(s, u, args).isoformat()}),
        )

    def avoid(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        target = mentioned_user(args)

        def work(session: Any, user: SlackUser) -> tuple[str, dict[str, Any]]:
            if not args.strip():
                avoided = participation.avoided_user_ids(session, user)
                if not avoided:
                    return "rounds.avoid_empty", {}
                return "rounds.avoid_list", {"users": ", ".join(f"<@{u}>" for u in avoided)}
            if not target:
                return "rounds.avoid_usage", {}
            participation.avoid(session, user, SlackUser(user.team_id, target))
            return "rounds.avoid_added", {"user": f"<@{target}>"}

        answer(ack, command, work)

    def unavoid(
        ack: Ack, command: dict[str, Any], args: str, client: WebClient, respond: Respond
    ) -> None:
        target = mentioned_user(args)

        def work(session: Any, user: SlackUser) -> tuple[str, dict[str, Any]]:
            if not target:
                return "rounds.avoid_usage", {}
            participation.unavoid(session, user, SlackUser(user.team_id, target))
            return "rounds.avoid_removed", {"user": f"<@{target}>"}

        answer(ack, command, work)

    deps.subcommands.update(
        {"join": join, "leave": leave, "pause": pause, "avoid": avoid, "unavoid": unavoid}
    )
