"""What every listener shares, done once per request instead of in each listener.

- ``install`` adds a global Bolt middleware that puts ``deps`` (the app's dependencies) and
  ``person`` (who is asking; their language looked up on first use) into the context, so a
  listener simply names them as parameters: ``def share_idea(ack, command, person, deps)``.
- ``facilitators_only`` is a listener middleware: the refusal is answered before the listener
  runs, so a guarded listener holds no guard code.
- ``subcommand`` is a matcher for ``/collider NAME ...``: each subcommand is a listener of its own.
- ``listener`` wraps each registered listener: a ``DomainError`` (bad input, not allowed, not
  found) rising from it becomes a localized notice, so listeners let such errors rise; and a
  form submission or click that arrives again is acked without a second effect
  (``handlers.replays``).
- ``form_opener`` registers a listener that opens a form: a named function builds the modal
  from what it names (``action``, ``person``, ``deps``), and the ack, the ``views.open`` and
  the "could not open the form" answer are done here, once.
- ``run_after_ack`` is the one way to start work after the ack: its failure is logged with
  context, and the person is told when they wait for something.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_bolt.util.utils import get_arg_names_of_callable

from handlers import replays
from handlers.blocks import done_modal, notice
from handlers.context import Deps, open_modal, user_from_command, user_from_interaction
from handlers.roles import is_facilitator, refuse
from i18n import t
from services.errors import DomainError
from services.participants import SenderLanguage, SlackUser, sender_language_of

logger = logging.getLogger(__name__)

# A modal view, as views.open takes it.
Modal = dict[str, Any]
# What tells the person (respond, or a DM); its return value is not used.
Tell = Callable[[dict[str, Any]], object]
# Requests a person sends by clicking or submitting: Slack always says who.
INTERACTIONS = frozenset(
    {"block_actions", "view_submission", "view_closed", "shortcut", "message_action"}
)


class Person:
    """Who sent the request. Their language is asked for on first use only: the hot path of
    ``/idea`` learns it from the author row it writes anyway (``knows_language``)."""

    def __init__(self, deps: Deps, user: SlackUser) -> None:
        self.user = user
        self._deps = deps
        self._language: str | None = None
        self._stored: SenderLanguage | None = None
        self._time_zone: ZoneInfo | None = None

    @property
    def language(self) -> str:
        """Their profile's language, else their Slack locale, else the default, even when the
        database is what just failed."""
        if self._language is None:
            self._language = _language_of(self._deps, self.user, self._stored)
        return self._language

    @property
    def time_zone(self) -> ZoneInfo:
        """Their Slack time zone, else the deployment's (asked of Slack once per request)."""
        if self._time_zone is None:
            self._time_zone = self._deps.time_zone(self.user)
        return self._time_zone

    def knows_language(self, language: str) -> None:
        self._language = language

    def knows_stored(self, stored: SenderLanguage) -> None:
        """What their row says, read along with something else (a click's claim)."""
        self._stored = stored

    def __repr__(self) -> str:
        return f"Person({self.user.team_id}/{self.user.user_id})"


def _language_of(deps: Deps, user: SlackUser, stored: SenderLanguage | None) -> str:
    try:
        return deps.language(user, stored)
    except Exception as error:
        # Said after a failure too, so the lookup must not fail in turn: Slack's locale instead.
        logger.warning("language of %s from Slack only: %s", user.user_id, type(error).__name__)
        return deps.slack_language(user, None)


def user_of(body: dict[str, Any]) -> SlackUser | None:
    """The sender of a command, an interaction or an event (None when nobody sent it)."""
    if "command" in body and body.get("user_id"):
        return user_from_command(body)
    if "user" in body and "event" not in body:
        return user_from_interaction(body)
    event = body.get("event")
    if isinstance(event, dict) and isinstance(event.get("user"), str):
        return SlackUser(team_id=str(body.get("team_id") or ""), user_id=event["user"])
    return None


def install(app: App, deps: Deps) -> None:
    """Register first: every listener, matcher and the error handler find ``deps`` and
    ``person`` in the context."""

    def introduce(
        context: BoltContext, body: dict[str, Any], next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        context["deps"] = deps
        user = user_of(body)
        context["person"] = Person(deps, user) if user else None
        problem = malformed(body, user)
        if problem:
            # Slack never sends such a body: it was made by hand. Refused before any listener,
            # so no listener (and not the error handler) meets a part of the wrong shape.
            logger.warning("refused %s: %s", describe(body), problem)
            return BoltResponse(status=400, body="")
        return next()

    app.middleware(introduce)
    replays.watch_effects()


def malformed(body: dict[str, Any], user: SlackUser | None) -> str | None:
    """What makes an interaction unlike anything Slack sends, or None."""
    kind = body.get("type")
    if kind not in INTERACTIONS:
        return None
    if user is None:
        return "no valid user"
    for name in ("team", "container", "view", "channel", "message"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            return f"{name} is not an object"
    view = body.get("view")
    if kind in ("view_submission", "view_closed") and not isinstance(view, dict):
        return "no view"
    state = (view or {}).get("state")
    if state is not None and not (
        isinstance(state, dict) and isinstance(state.get("values", {}), dict)
    ):
        return "a state that is not an object"
    actions = body.get("actions")
    if kind == "block_actions" and not (
        isinstance(actions, list) and actions and all(isinstance(a, dict) for a in actions)
    ):
        return "no actions"
    return None


def subcommand(*names: str, excluding: tuple[str, ...] = ()) -> Callable[[dict[str, Any]], bool]:
    """Matches ``/collider NAME ...`` for any of ``names`` ("" for the bare command), unless the
    first word after NAME is one of ``excluding`` (a verb another listener answers)."""

    def matches(command: dict[str, Any]) -> bool:
        return subcommand_name(command) in names and _verb(command) not in excluding

    matches.__name__ = f"subcommand_{'_'.join(names) or 'bare'}"
    # What help and its test read back: which names this listener answers.
    matches.subcommand_names = names  # type: ignore[attr-defined]
    return matches


def subcommand_verb(name: str, verb: str) -> Callable[[dict[str, Any]], bool]:
    """Matches ``/collider NAME VERB ...`` only: a verb with a listener of its own
    (``report programme``), whatever order the modules register in."""

    def matches(command: dict[str, Any]) -> bool:
        return subcommand_name(command) == name and _verb(command) == verb

    matches.__name__ = f"subcommand_{name}_{verb}"
    matches.subcommand_names = (name,)  # type: ignore[attr-defined]
    return matches


def _verb(command: dict[str, Any]) -> str:
    return subcommand_args(command).partition(" ")[0].lower()


def subcommand_name(command: dict[str, Any]) -> str:
    return (command.get("text") or "").strip().partition(" ")[0].lower()


def subcommand_args(command: dict[str, Any]) -> str:
    """What follows the subcommand's name, trimmed."""
    return (command.get("text") or "").strip().partition(" ")[2].strip()


def facilitators_only(what: str, *, form_block: str | None = None) -> Callable[..., Any]:
    """A listener middleware: facilitators pass; anyone else gets a polite, localized no
    (under ``form_block`` for a form) and a log line, and the listener does not run."""

    def guard(
        ack: Ack, body: dict[str, Any], context: BoltContext, next: Callable[[], None]
    ) -> BoltResponse | None:
        deps: Deps = context["deps"]
        person: Person = context["person"]
        if is_facilitator(deps, person.user):
            next()
            return None
        refuse(person.user, what)
        if body.get("type") == "block_suggestion":
            return ack(options=[])  # a search answers options or nothing, never a notice
        text = t("roles.facilitators_only", person.language)
        if body.get("type") == "view_submission":
            return ack(response_action="errors", errors={form_block or "": text})
        if body.get("type") == "block_actions":
            answer = ack()
            respond = context.respond
            if respond is not None:
                # Said after the ack: the response_url answers no faster than the ack must.
                run_after_ack(
                    deps,
                    respond,
                    what=f"refusal of {what}",
                    person=person,
                    response_type="ephemeral",
                    **notice(text),
                )
            return answer
        return ack(response_type="ephemeral", **notice(text))

    guard.__name__ = f"facilitators_only_{what.replace(' ', '_')}"
    return guard


def refusal_text(error: DomainError, language: str) -> str:
    return t(error.key, language, **error.params)


def form_errors(
    error: DomainError, person: Person, fields: dict[str, str], default: str
) -> dict[str, Any]:
    """The ack that shows ``error`` under the form's input for its field (else ``default``)."""
    field = getattr(error, "field", None) or default
    block = fields.get(field, fields[default])
    logger.warning(
        "refused a form from %s/%s: %s on %s",
        person.user.team_id,
        person.user.user_id,
        error.key,
        field,
    )
    return {"response_action": "errors", "errors": {block: refusal_text(error, person.language)}}


def listener(
    function: Callable[..., Any], *, language_later: bool = False, acks_last: bool = False
) -> Callable[..., Any]:
    """``function`` as a Bolt listener whose refusals are answered here, in one place.

    ``acks_last``: the listener's ack is the last thing it does on every path (work after the
    ack goes through ``run_after_ack``), so it runs in the request's own thread, without a
    hand-off to the listener pool (``bot/listener_runner.py``). Slack gets the answer when
    the listener returns, so it must not block after its ack.

    The person's language is looked up before the listener runs, so that no listener asks for
    it inside its own transaction (on SQLite, a second session would wait for the first one's
    lock). ``language_later`` is for a hot path that learns the language from a row it
    writes anyway (``/idea``): there it is looked up only if needed.

    A ``DomainError`` becomes a localized notice: in the ack if the listener has not acked
    yet, else through ``respond``. Nothing may escape a listener after its ack: Bolt then drops
    the ack and tries the next listener (the catch-alls would answer a second time). Failures
    before the ack go on to the app's error handler, which owns the HTTP answer.
    """
    own_names = get_arg_names_of_callable(function)

    def answered(**kwargs: Any) -> Any:
        context: BoltContext = kwargs["context"]
        person: Person | None = context.get("person")
        deps: Deps = context["deps"]
        body = kwargs["body"]
        sender = person.user if person is not None and not language_later else None
        # A click's claim reads the sender's language with it (one statement, not two).
        claimed = replays.claim(deps.database, body, sender)
        if person is not None and claimed is not None and claimed.sender_read:
            default = deps.settings.default_language
            person.knows_stored(sender_language_of(claimed.sender_row, default))
        if person is not None and sender is not None:
            person.language  # noqa: B018 (looked up now, outside any transaction)
        if claimed is not None and claimed.replayed:
            logger.info("replayed %s: acked, not acted on again", describe(body))
            context.ack()
            return None
        try:
            with replays.acting_on(claimed):
                result = function(**{name: kwargs[name] for name in own_names})
        except DomainError as error:
            replays.abandon(deps.database, claimed)
            _answer_refusal(error, body, context)
        except Exception as error:
            replays.abandon(deps.database, claimed)
            if context.ack.response is None:
                raise
            logger.error("%s failed after the ack", describe(body), exc_info=error)
            _tell(context, "errors.generic")
        else:
            replays.finish(deps.database, claimed, context.ack.response)
            return result
        return None

    _named_like(answered, function, [*own_names, "context", "body"])
    answered.acks_last = acks_last  # type: ignore[attr-defined]
    return answered


def _named_like(
    wrapper: Callable[..., Any], function: Callable[..., Any], names: list[str]
) -> None:
    """Give ``wrapper`` the name and docstring of ``function`` (tracebacks and logs read the
    listener's own name) and the parameters ``names``: Bolt passes what a listener names. No
    __wrapped__, or Bolt would read ``function``'s parameters only."""
    wrapper.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            for name in dict.fromkeys(names)
        ]
    )
    for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(wrapper, attribute, getattr(function, attribute))


def form_opener(build: Callable[..., Modal], *, refuses_in_ack: bool = False) -> Callable[..., Any]:
    """A listener that opens the form ``build`` returns for the person who asked.

    ``build`` names what it needs, as a listener does (``action``, ``command``, ``person``,
    ``deps``), and returns the modal; a ``DomainError`` it raises (not a member, not found) is
    answered by ``listener``. The ack comes first, so that building cannot eat into the
    trigger's 3 seconds; with ``refuses_in_ack`` it comes after ``build``, so that a refusal
    (a command's usage) is the command's answer itself. If Slack will not open the form, the
    person is told (where the request has a response URL; else it is logged).
    """
    own_names = get_arg_names_of_callable(build)

    def open_form(**kwargs: Any) -> None:
        context: BoltContext = kwargs["context"]
        if not refuses_in_ack:
            context.ack()
        modal = build(**{name: kwargs[name] for name in own_names})
        if refuses_in_ack:
            context.ack()
        person: Person = context["person"]
        trigger_id = kwargs["body"]["trigger_id"]
        open_modal(context.client, context.respond, trigger_id, modal, person.language)

    _named_like(open_form, build, [*own_names, "context", "body"])
    return listener(open_form)


def _answer_refusal(error: DomainError, body: dict[str, Any], context: BoltContext) -> None:
    person: Person | None = context.get("person")
    who = f"{person.user.team_id}/{person.user.user_id}" if person else "unknown"
    logger.warning("refused %s by %s: %s %s", describe(body), who, error.key, error.params)
    language = person.language if person else context["deps"].settings.default_language
    text = refusal_text(error, language)
    if context.ack.response is None:
        if body.get("type") == "view_submission":
            context.ack(response_action="update", view=done_modal(":warning:", text, language))
            return
        if body.get("type") == "block_suggestion":
            context.ack(options=[])  # a search has no room for a notice: it finds nothing
            return
        if "command" in body:
            context.ack(response_type="ephemeral", **notice(text))
            return
        context.ack()
    if context.respond is not None:
        context.respond(response_type="ephemeral", replace_original=False, **notice(text))


def _tell(context: BoltContext, key: str) -> None:
    person: Person | None = context.get("person")
    if context.respond is None or person is None:
        return
    try:
        text = t(key, person.language)
        context.respond(response_type="ephemeral", replace_original=False, **notice(text))
    except Exception:
        logger.exception("could not tell %s that their request failed", person)


def run_after_ack(
    deps: Deps,
    work: Callable[..., Any],
    *args: Any,
    what: str,
    person: Person | None,
    tell: Tell | None = None,
    failure_key: str = "errors.generic",
    **kwargs: Any,
) -> Future[Any]:
    """Run ``work(*args, **kwargs)`` on the worker pool; if it fails, log ``what`` with who asked,
    and, given ``tell``, say so to the person in their language (a refusal says why)."""
    future = deps.workers.submit(work, *args, **kwargs)

    def report(done: Future[Any]) -> None:
        error = done.exception()
        if error is not None:
            _report_failure(error, what, person, tell, failure_key, deps)

    future.add_done_callback(report)
    return future


def _report_failure(
    error: BaseException,
    what: str,
    person: Person | None,
    tell: Tell | None,
    failure_key: str,
    deps: Deps,
) -> None:
    who = f"{person.user.team_id}/{person.user.user_id}" if person else "nobody"
    if isinstance(error, DomainError):
        logger.warning("%s for %s refused: %s %s", what, who, error.key, error.params)
    else:
        logger.error("%s for %s failed after the ack", what, who, exc_info=error)
    if tell is None:
        return
    language = person.language if person else deps.settings.default_language
    text = (
        refusal_text(error, language)
        if isinstance(error, DomainError)
        else t(failure_key, language)
    )
    try:
        tell(notice(text))
    except Exception:
        logger.exception("could not tell %s that %s failed", who, what)


def describe(body: dict[str, Any]) -> str:
    """``command /idea from U001``, ``block_actions idea_edit from U001``: for log lines."""
    kind = body.get("type") or ("command" if "command" in body else "unknown")
    what = body.get("command") or body.get("callback_id") or _part(body, "view", "callback_id")
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        what = actions[0].get("action_id")
    user = body.get("user_id") or _part(body, "user", "id")
    # Said in log lines about bodies anyone may have crafted: short, and never a failure.
    return f"{kind} {what} from {user}"[:300]


def _part(body: dict[str, Any], name: str, key: str) -> Any:
    part = body.get(name)
    return part.get(key) if isinstance(part, dict) else None
