"""``collider console``: the real app and database, a local Slack, and you at the keyboard.

The console starts :class:`bot.local.slack.LocalSlack` in-process, builds the real Bolt app
against it, and sends the same signed requests the tests send (:mod:`bot.local.requests`).
Whatever the app then "posts" is read back from the local Slack and shown as text
(:mod:`bot.local.console_render`): one local Slack serves both the tests and the console.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, TextIO

from slack_bolt import BoltResponse
from sqlalchemy import select

from bot.app import create_app
from bot.local import demo
from bot.local.console_render import (
    Button,
    Input,
    Option,
    is_empty,
    modal_inputs,
    offered_options,
    render_input,
    render_message,
    render_modal,
)
from bot.local.inbox import Inboxes, Posted
from bot.local.requests import LocalRequests, response_json, view_state
from bot.local.slack import BOT_USER_ID, TEAM_ID, Call, LocalSlack, User
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.suggestions import start_suggestion_sweeper
from i18n import t
from models import Participant
from models.db import Database
from models.queries import find_participant
from services.participants import language_of

LOCAL_BOT_TOKEN = "xoxb-local-console"
CHANNEL = "C0GENERAL"
CHANNEL_NAME = "general"
GUEST = ("U0GUEST", "guest")
QUIET_SECONDS = 0.1
SETTLE_LIMIT_SECONDS = 5.0
_SILENT_METHODS = {"auth.test", "users.info", "upload", "files.getUploadURLExternal"}
# Commands declared with should_escape: true in manifest.yml: Slack sends their @mentions as
# <@U123|name> (tests/test_console.py keeps the two in step).
ESCAPED_COMMANDS = frozenset({"/collider"})
_MENTION = re.compile(r"(?<![<\w])@([\w.-]+)")
# What `add NAME` takes: words of letters, digits, "-", "_" and ".", as a Slack handle can be.
_NAME_WORD = re.compile(r"[\w.-]+")


class WatchedExecutor(ThreadPoolExecutor):
    """A thread pool that knows how many of its tasks are not finished yet."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._busy = 0
        self._busy_lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._busy_lock:
            self._busy += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _: Future[Any]) -> None:
        with self._busy_lock:
            self._busy -= 1

    @property
    def busy(self) -> int:
        with self._busy_lock:
            return self._busy


class WatchedPools:
    """The listener pool and the pool for long work, watched together."""

    def __init__(self, *pools: WatchedExecutor):
        self.pools = pools

    @property
    def busy(self) -> int:
        return sum(pool.busy for pool in self.pools)

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        for pool in self.pools:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)


@dataclass(frozen=True)
class Pressable:
    """A button as shown, with where it was shown (a message, or a view) for the payload."""

    button: Button
    message: dict[str, Any] | None = None
    view: dict[str, Any] | None = None
    channel: str = CHANNEL
    # The message in someone's inbox it belongs to: a reply that replaces it updates the inbox.
    entry: Posted | None = None


@dataclass
class OpenView:
    view: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # What the app suggested for each external select, as the person typed.
    offered: dict[str, list[Option]] = field(default_factory=dict)

    @property
    def inputs(self) -> list[Input]:
        return modal_inputs(self.view, self.offered)

    @property
    def title(self) -> str:
        return str((self.view.get("title") or {}).get("text") or "form")


def _initial_values(view: dict[str, Any], keep: dict[str, Any] | None = None) -> dict[str, Any]:
    values = {field_.block_id: field_.initial for field_ in modal_inputs(view)}
    for block_id, value in (keep or {}).items():
        if block_id in values:
            values[block_id] = value
    return values


class EndOfInput(Exception):
    """The session ends: the input ended (Ctrl-D, the end of a script), or ``quit`` was typed
    at a follow-up question."""


class StopFilling(Exception):
    """``cancel`` at a field's prompt: stop filling, the form stays open."""


class Console:
    """One terminal session: the person acting, the open form, the buttons shown last."""

    def __init__(
        self,
        requests: LocalRequests,
        slack: LocalSlack,
        database: Database,
        settings: Settings,
        listeners: WatchedExecutor | WatchedPools,
        out: TextIO,
        user_id: str,
    ):
        self.requests = requests
        self.slack = slack
        self.database = database
        self.settings = settings
        self.listeners = listeners
        self.out = out
        self.user_id = user_id
        # Per person: the forms they have open and the buttons shown to them last, so that
        # switching with "as" and back loses neither.
        self._views: dict[str, list[OpenView]] = {}
        self._pressables: dict[str, dict[int, Pressable]] = {}
        self.inboxes = Inboxes()
        # response_url key → the inbox message whose button made it (replace_original).
        self._replies: dict[str, Posted] = {}
        self.quiet_seconds = QUIET_SECONDS
        # Where the bot's log goes, said once at the start (None: the caller's logging).
        self.log_path: str | None = None
        self._read: Callable[[str], str] = self._no_input

    @property
    def views(self) -> list[OpenView]:
        return self._views.setdefault(self.user_id, [])

    @views.setter
    def views(self, views: list[OpenView]) -> None:
        self._views[self.user_id] = views

    @property
    def pressables(self) -> dict[int, Pressable]:
        return self._pressables.setdefault(self.user_id, {})

    @pressables.setter
    def pressables(self, pressables: dict[int, Pressable]) -> None:
        self._pressables[self.user_id] = pressables

    def words(self, key: str, **params: Any) -> str:
        """The console's own words, in the acting person's language."""
        return t(f"console.{key}", self.language(self.user_id), **params)

    # -- input and output -------------------------------------------------------------------
    @staticmethod
    def _no_input(prompt: str) -> str:
        raise EndOfInput

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def run(self, lines: Iterable[str] | None = None) -> None:
        """Read commands until ``quit`` or the end of input.

        With ``lines`` (a script, or piped stdin) each one is echoed after the prompt, so the
        output reads as a transcript; without, the person types at ``input()``.
        """
        if lines is None:
            # Line editing and history for input(); not on every platform, and not needed.
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401
            self._read = input
        else:
            iterator = iter(lines)

            def scripted(prompt: str) -> str:
                try:
                    line = next(iterator).rstrip("\r\n")
                except StopIteration:
                    raise EndOfInput from None
                self.out.write(prompt + line + "\n")
                return line

            self._read = scripted
        self.say(self.words("help"))
        if self.log_path:
            self.say(self.words("log_file", path=self.log_path))
        self.say(self.words("you_are", who=self.describe_user(self.user_id)))
        while True:
            try:
                # Input can also end, or "quit" be typed, at a question a command asks.
                if not self.handle(self._read(self.prompt())):
                    return
            except (EndOfInput, EOFError):
                self.say()
                return

    def ask(self, prompt: str) -> str:
        """A follow-up question (a form field, a confirmation), from the same input."""
        try:
            return self._read(prompt)
        except EOFError:
            raise EndOfInput from None

    # -- who is acting ------------------------------------------------------------------------
    @property
    def users(self) -> dict[str, str]:
        """User id → name, for mentions."""
        names = {user.id: user.name for user in self.slack.users.values()}
        names.setdefault(BOT_USER_ID, "collider")
        return names

    def language(self, user_id: str) -> str:
        with self.database.session() as session:
            participant = find_participant(session, TEAM_ID, user_id)
            return language_of(participant, self.settings.default_language)

    @property
    def user_name(self) -> str | None:
        user = self.slack.users.get(self.user_id)
        return user.name if user else None

    def describe_user(self, user_id: str) -> str:
        user = self.slack.users.get(user_id)
        name = user.name if user else user_id
        return f"@{name} ({self.language(user_id)})"

    def prompt(self) -> str:
        form = f" | form: {self.views[-1].title}" if self.views else ""
        return f"[you: {self.describe_user(self.user_id)}{form}] > "

    def find_user(self, wanted: str) -> User | None:
        key = wanted.strip().lstrip("@").casefold()
        people = list(self.slack.users.values())
        for user in people:
            if key in (user.id.casefold(), user.name.casefold(), user.real_name.casefold()):
                return user
        matches = [user for user in people if key and key in user.real_name.casefold()]
        return matches[0] if len(matches) == 1 else None

    # -- commands -------------------------------------------------------------------------------
    def handle(self, line: str) -> bool:
        """Act on one line; False when the session should end."""
        text = line.strip()
        if not text:
            return True
        word, _, rest = line.lstrip().partition(" ")
        word = word.lower()
        if text.startswith("/"):
            command, _, argument = line.strip().partition(" ")
            self.command(command, argument)
        elif word in ("quit", "exit"):
            return False
        elif word == "help":
            self.say(self.words("help"))
        elif word == "press":
            self.press(rest.strip())
        elif word == "fill":
            # Not stripped: a value of only spaces is something a person can type into Slack.
            self.fill(rest.lstrip())
        elif word == "submit":
            self.submit()
        elif word == "cancel":
            self.cancel()
        elif word == "show":
            self.show_view()
        elif word == "as":
            self.switch(rest)
        elif word == "users":
            self.list_users()
        elif word == "inbox":
            self.show_inbox()
        elif word == "home":
            self.open_home()
        elif word == "add":
            self.add_user(rest)
        else:
            self.say(self.words("unknown_command", word=repr(word)))
        return True

    def command(self, command: str, text: str) -> None:
        if command in ESCAPED_COMMANDS:
            text = self.escape_mentions(text)
        response, calls = self._exchange(
            lambda: self.requests.command(
                command,
                text,
                user=self.user_id,
                user_name=self.user_name,
                channel=CHANNEL,
            )
        )
        self._show(calls, response)

    def press(self, argument: str) -> None:
        try:
            pressable = self.pressables[int(argument)]
        except (ValueError, KeyError):
            numbers = ", ".join(str(n) for n in sorted(self.pressables))
            self.say(self.words("press_which", numbers=numbers or self.words("none_shown")))
            return
        button = pressable.button
        if button.confirm and not self._confirmed(button.confirm):
            self.say(self.words("not_done"))
            return
        if button.url:
            self.say(self.words("would_open", url=button.url))
        view = pressable.view
        if view is not None and self.views and self.views[-1].view.get("id") == view.get("id"):
            view = self._view_payload(self.views[-1])
        response_url = self.requests.new_response_url("act")
        if pressable.entry is not None:
            self._replies[response_url.rsplit("/", 1)[1]] = pressable.entry
        response, calls = self._exchange(
            lambda: self.requests.click(
                button.action_id,
                button.value,
                user=self.user_id,
                user_name=self.user_name,
                block_id=button.block_id,
                channel=pressable.channel,
                message=pressable.message,
                view=view,
                response_url=response_url,
            )
        )
        self._show(calls, response)

    def _confirmed(self, confirm: dict[str, Any]) -> bool:
        title = (confirm.get("title") or {}).get("text") or self.words("confirm_default")
        text = (confirm.get("text") or {}).get("text") or ""
        yes = (confirm.get("confirm") or {}).get("text") or self.words("yes")
        no = (confirm.get("deny") or {}).get("text") or self.words("no")
        self.say(f"{title}\n  {text}")
        answer = self.ask(self.words("yes_no", yes=yes, no=no)).strip().lower()
        return answer in ("y", "yes", "k", "kyllä", "j", "ja")

    # -- forms ----------------------------------------------------------------------------------
    def show_view(self) -> None:
        if not self.views:
            self.say(self.words("no_form"))
            return
        current = self.views[-1]
        first = max(self.pressables, default=0) + 1
        rendered = render_modal(
            current.view,
            current.values,
            current.errors,
            self.users,
            language=self.language(self.user_id),
            first_button=first,
            offered=current.offered,
        )
        self.say(rendered.text)
        self.say(self.words("form_hint" if current.inputs else "form_hint_no_fields"))
        for button in rendered.buttons:
            self.pressables[button.number] = Pressable(button, view=current.view)

    def fill(self, argument: str) -> None:
        if not self.views:
            self.say(self.words("no_form_fill"))
            return
        current = self.views[-1]
        inputs = current.inputs
        if not inputs:
            self.say(self.words("no_fields"))
            return
        try:
            if not argument.strip():
                for field_ in inputs:
                    self._ask_field(current, field_)
                self.say(self.words("fill_done"))
                return
            number, _, value = argument.partition(" ")
            chosen = self._field(inputs, number)
            if chosen is None:
                self.say(self.words("fill_which", count=len(inputs)))
            elif value:
                self._set(current, chosen, value)
            else:
                self._ask_field(current, chosen)
        except StopFilling:
            self.say(self.words("fill_stopped"))

    @staticmethod
    def _field(inputs: list[Input], number: str) -> Input | None:
        """Field (N) as shown, counting from 1."""
        if number.isascii() and number.isdigit() and 1 <= int(number) <= len(inputs):
            return inputs[int(number) - 1]
        return None

    def _ask_field(self, current: OpenView, field_: Input) -> None:
        """Ask for one field until the answer is one Slack would take; ``cancel`` stops
        (:class:`StopFilling`), ``quit`` or ``exit`` ends the session (:class:`EndOfInput`)."""
        value = current.values.get(field_.block_id)
        error = current.errors.get(field_.block_id)
        self.say(render_input(field_, value, error, language=self.language(self.user_id)))
        if field_.chooses:
            how = self.words("answer_options" if field_.chooses_several else "answer_option")
        else:
            how = self.words("answer_text_lines" if field_.multiline else "answer_text")
        keep = self.words("enter_leaves_empty" if is_empty(value) else "enter_keeps")
        while True:
            answer = self.ask(self.words("field_prompt", how=how, keep=keep))
            word = answer.strip().lower()
            if word in ("quit", "exit"):
                raise EndOfInput
            if word == "cancel":
                raise StopFilling
            if answer == "" or self._set(current, field_, answer):
                return

    def _set(self, current: OpenView, field_: Input, answer: str) -> bool:
        """Store an answer as Slack's client would accept it; False (and why) when it would not."""
        if answer.strip() == "-":
            current.values[field_.block_id] = [] if field_.chooses_several else None
            return True
        if field_.kind == "external_select" and not (answer.isdigit() and field_.options):
            return self._search(current, field_, answer.strip())
        if field_.chooses:
            chosen = []
            for part in answer.split(","):
                option = self._option(field_, part.strip())
                if option is None:
                    count = len(field_.options)
                    self.say(self.words("no_option", answer=repr(part.strip()), count=count))
                    return False
                chosen.append(option)
            if not field_.chooses_several and len(chosen) > 1:
                self.say(self.words("pick_one_option"))
                return False
            current.values[field_.block_id] = chosen if field_.chooses_several else chosen[0]
            return True
        text = answer.replace("\\n", "\n") if field_.multiline else answer
        if field_.max_length and len(text) > field_.max_length:
            self.say(self.words("too_long", limit=field_.max_length, given=len(text)))
            return False
        current.values[field_.block_id] = text
        return True

    def _search(self, current: OpenView, field_: Input, typed: str) -> bool:
        """Type into an external select: the app suggests; one fitting option is taken."""
        found = offered_options(
            self.requests.suggest(current.view, field_.block_id, typed, user=self.user_id)
        )
        current.offered[field_.block_id] = found
        exact = [o for o in found if typed.casefold() in (o.text.casefold(), o.value.casefold())]
        if len(exact) == 1 or len(found) == 1:
            current.values[field_.block_id] = (exact or found)[0].value
            return True
        if not found:
            self.say(self.words("nothing_found", typed=repr(typed)))
            return False
        for index, option in enumerate(found, 1):
            self.say(f"    {index}. {option.text}")
        self.say(self.words("pick_found", number=field_.number))
        return False

    @staticmethod
    def _option(field_: Input, answer: str) -> str | None:
        if answer.isdigit() and 1 <= int(answer) <= len(field_.options):
            return field_.options[int(answer) - 1].value
        for option in field_.options:
            if answer.casefold() in (option.value.casefold(), option.text.casefold()):
                return option.value
        return None

    def _view_payload(self, current: OpenView) -> dict[str, Any]:
        state = view_state(current.view, self._state_values(current))
        return {**current.view, "team_id": TEAM_ID, "state": {"values": state}}

    @staticmethod
    def _state_values(current: OpenView) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field_ in current.inputs:
            value = current.values.get(field_.block_id)
            if is_empty(value):
                continue
            if field_.chooses_several:
                values[field_.block_id] = {"options": list(value or ())}
            elif field_.chooses:
                values[field_.block_id] = {"option": value}
            else:
                values[field_.block_id] = value
        return values

    def submit(self) -> None:
        if not self.views:
            self.say(self.words("no_form"))
            return
        current = self.views[-1]
        missing = [
            f for f in current.inputs if not f.optional and is_empty(current.values.get(f.block_id))
        ]
        if missing:
            # Slack's own client refuses to send a form with a required field left empty.
            names = ", ".join(f"({f.number}) {f.label}" for f in missing)
            self.say(self.words("would_not_send", fields=names))
            return
        response, calls = self._exchange(
            lambda: self.requests.submit(
                current.view,
                self._state_values(current),
                user=self.user_id,
                user_name=self.user_name,
                view_id=current.view.get("id"),
            )
        )
        self._after_submission(current, response)
        self._show(calls)

    def _after_submission(self, current: OpenView, response: BoltResponse) -> None:
        if response.status != 200:
            self.say(self.words("form_not_accepted", status=response.status))
            return
        answer = response_json(response)
        action = answer.get("response_action")
        if action == "errors":
            current.errors = dict(answer.get("errors") or {})
            self.say(self.words("form_problems"))
            self.show_view()
        elif action == "update":
            view = {**answer["view"], "id": current.view.get("id")}
            self.views[-1] = OpenView(view, _initial_values(view))
            self.say(self.words("form_changed"))
            self.show_view()
        elif action == "push":
            view = {**answer["view"], "id": "V" + secrets.token_hex(5).upper()}
            self.views.append(OpenView(view, _initial_values(view)))
            self.show_view()
        elif action == "clear":
            self.views.clear()
            self.say(self.words("form_closed"))
        else:
            self.views.pop()
            self.say(self.words("form_closed"))
            if self.views:
                self.show_view()

    def cancel(self) -> None:
        if not self.views:
            self.say(self.words("no_form"))
            return
        current = self.views.pop()
        if current.view.get("notify_on_close"):
            response, calls = self._exchange(
                lambda: self.requests.close(current.view, user=self.user_id)
            )
            self._show(calls)
        self.say(self.words("closed_without_sending", title=repr(current.title)))
        if self.views:
            self.show_view()

    # -- people ---------------------------------------------------------------------------------
    def switch(self, wanted: str) -> None:
        user = self.find_user(wanted)
        if user is None:
            self.say(self.words("nobody_called", name=repr(wanted.strip())))
            return
        self.user_id = user.id
        self.say(self.words("you_are_now", who=self.describe_user(user.id)))
        unread = self.inboxes.unread(user.id)
        if unread:
            self.say(self.words("unread", count=unread))

    def add_user(self, wanted: str) -> None:
        """A new person: ``add kaisa``, or ``add Åsa Öberg`` (the real name, with the handle
        ``@åsa.öberg`` made of its words, as Slack suggests one)."""
        words = wanted.strip().lstrip("@").split()
        if not words or not all(_NAME_WORD.fullmatch(word) for word in words):
            self.say(self.words("add_usage"))
            return
        handle = ".".join(words).lower() if len(words) > 1 else words[0]
        # Only the same handle or name: "add kai" is someone new even when "Kaisa" exists.
        taken = {handle.casefold(), " ".join(words).casefold()}
        existing = next(
            (
                u
                for u in self.slack.users.values()
                if {u.name.casefold(), u.real_name.casefold()} & taken
            ),
            None,
        )
        if existing:
            self.say(self.words("add_exists", name=existing.name))
            return
        user_id = "U0" + "".join(ch for ch in handle.upper() if ch.isascii() and ch.isalnum())[:9]
        while not user_id[2:] or user_id in self.slack.users:
            user_id += secrets.choice("0123456789")
        real_name = " ".join(words) if len(words) > 1 else ""
        self.slack.add_user(user_id, handle, real_name=real_name)
        self.switch(user_id)

    def list_users(self) -> None:
        viewer = self.language(self.user_id)
        with self.database.session() as session:
            people = {
                p.user_id: p
                for p in session.scalars(select(Participant).where(Participant.team_id == TEAM_ID))
            }
            rows = []
            for user in sorted(self.slack.users.values(), key=lambda u: u.name):
                participant = people.get(user.id)
                organisation = ""
                if participant is not None and participant.organisation:
                    kind = participant.organisation_type
                    type_name = t(f"profile.org_{kind.value}", viewer) if kind else ""
                    organisation = participant.organisation + (f" ({type_name})" if kind else "")
                language = language_of(participant, self.settings.default_language)
                mark = "*" if user.id == self.user_id else " "
                rows.append(
                    f"{mark} @{user.name:<10} {user.id:<11} {user.real_name or '':<16} {language}"
                    f"  {organisation}"
                )
        self.say("\n".join(rows))

    # -- talking to the app ---------------------------------------------------------------------
    def _exchange(self, send: Callable[[], BoltResponse]) -> tuple[BoltResponse, list[Call]]:
        start = self.slack.call_count
        response = send()
        self._settle()
        return response, self.slack.calls_since(start)

    def _settle(self) -> None:
        """Wait until the listeners are done and the local Slack has been quiet for a moment."""
        deadline = time.monotonic() + SETTLE_LIMIT_SECONDS
        count, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            now = time.monotonic()
            if self.slack.call_count != count:
                count, quiet_since = self.slack.call_count, now
            elif self.listeners.busy == 0 and now - quiet_since >= self.quiet_seconds:
                return
            time.sleep(0.01)

    def _show(self, calls: list[Call], response: BoltResponse | None = None) -> None:
        """The app's answer, then everything it did in Slack; their buttons become pressable.

        What reaches someone else waits in their inbox, with a notice here: nothing is lost.
        """
        shown: list[Pressable] = []
        if response is not None:
            self._show_answer(response, shown)
        for call in calls:
            self._show_call(call, shown)
        if shown:
            self.pressables = {p.button.number: p for p in shown}

    def _show_message(
        self, heading: str, content: dict[str, Any], shown: list[Pressable], **where: Any
    ) -> None:
        first = len(shown) + 1
        rendered = render_message(
            content, self.users, language=self.language(self.user_id), first_button=first
        )
        self.say(f"-- {heading}")
        self.say(rendered.text)
        shown.extend(Pressable(button, **where) for button in rendered.buttons)

    def _heading(self, entry: Posted, reader: str) -> str:
        """Where an entry sits, in the acting person's words; an ephemeral message and an App
        Home are the ``reader``'s alone."""
        name = self.users.get(reader, reader)
        if entry.home:
            return self.words("app_home_of", name=name)
        where = self._where(entry.channel)
        if entry.content.get("user") not in (None, BOT_USER_ID):
            return self.words("posted_for_one", where=where, name=name)
        return self.words("posted_in", where=where)

    def _show_entry(self, entry: Posted, shown: list[Pressable], mark: str = "") -> None:
        entry.seen_by.add(self.user_id)
        # Said again in the reader's language: it may have reached them while someone of
        # another language was acting.
        entry.heading = self._heading(entry, self.user_id)
        heading = f"{mark} {entry.heading}" if mark else entry.heading
        if entry.home:
            self._show_message(heading, entry.content, shown, view=entry.content, entry=entry)
        else:
            self._show_message(
                heading,
                entry.content,
                shown,
                message=entry.content,
                channel=entry.channel,
                entry=entry,
            )

    def _route(self, entry: Posted, people: list[str], shown: list[Pressable]) -> None:
        """Deliver to everyone it reached; show it if the acting person is one of them."""
        self.inboxes.deliver(entry, people)
        if self.user_id in people:
            self._show_entry(entry, shown)
        others = [p for p in people if p != self.user_id]
        if others and entry.channel != CHANNEL:
            names = ", ".join("@" + self.users.get(p, p) for p in others)
            self.say(self.words("new_message_for", people=names, where=self._where(entry.channel)))

    def audience(self, channel: str) -> list[str]:
        """Who sees what is posted in ``channel``."""
        if channel == CHANNEL:
            return [u for u in self.slack.users if u != BOT_USER_ID]
        if channel in self.slack.users:
            return [channel]
        members = self.slack.members.get(channel)
        if members:
            return [m for m in members if m != BOT_USER_ID]
        for user_id in self.slack.users:
            if self.slack.dm_channel(user_id) == channel:
                return [user_id]
        return [self.user_id]

    def show_inbox(self) -> None:
        entries = self.inboxes.of(self.user_id)
        if not entries:
            self.say(self.words("inbox_empty"))
            return
        self.say(self.words("inbox_heading", count=len(entries)))
        shown: list[Pressable] = []
        for entry in entries:
            new = self.user_id not in entry.seen_by
            self._show_entry(entry, shown, self.words("new_mark") if new else "")
        self.pressables = {p.button.number: p for p in shown}

    def open_home(self) -> None:
        """Slack's ``app_home_opened`` for the current person: the app publishes their Home."""
        event = {"type": "app_home_opened", "user": self.user_id, "tab": "home"}
        _, calls = self._exchange(lambda: self.requests.event(event))
        self._show(calls)

    def escape_mentions(self, text: str) -> str:
        """``@name`` of a known person as Slack sends it with escaping on: ``<@U123|name>``."""

        def mention(match: re.Match[str]) -> str:
            user = self.find_user(match.group(1))
            return f"<@{user.id}|{user.name}>" if user else match.group(0)

        return _MENTION.sub(mention, text)

    def _show_answer(self, response: BoltResponse, shown: list[Pressable]) -> None:
        if response.status == 404:
            self.say(self.words("not_handled"))
            return
        if response.status != 200:
            self.say(self.words("app_answered", status=response.status, body=response.body[:200]))
            return
        answer = response_json(response) if response.body.startswith("{") else {}
        if not answer and response.body:
            answer = {"text": response.body}
        if answer.get("text") or answer.get("blocks"):
            if answer.get("response_type") == "in_channel":
                heading = self.words("answer_in_channel", where="#" + CHANNEL_NAME)
            else:
                heading = self.words("answer_to_you")
            self._show_message(heading, answer, shown)

    def _where(self, channel: str) -> str:
        if channel == CHANNEL:
            return "#" + CHANNEL_NAME
        if channel in self.slack.users:
            return self.words("dm_to", name="@" + self.slack.users[channel].name)
        names = {cid: name for name, cid in self.slack.channel_names.items()}
        if channel in names:
            return "#" + names[channel]
        people = self.audience(channel)
        if channel.startswith("G"):
            return self.words("group_dm_with", people=self._mentions(",".join(people)))
        if channel.startswith("D") and len(people) == 1:
            return self.words("dm_to", name=self._mentions(people[0]))
        return self.words("a_dm") if channel.startswith("D") else channel

    def _mentions(self, ids: str) -> str:
        users = self.users
        return ", ".join("@" + users.get(u, u) for u in ids.split(",") if u)

    def _show_call(self, call: Call, shown: list[Pressable]) -> None:
        method, params, result = call.method, call.params, call.result or {}
        if method in _SILENT_METHODS:
            return
        if result and not result.get("ok"):
            self.say(self.words("call_failed", method=method, error=result.get("error")))
            return
        channel = str(result.get("channel") or params.get("channel") or "")
        if method == "chat.postMessage":
            message = {**params, "ts": result.get("ts"), "user": BOT_USER_ID}
            entry = Posted("", channel, message)
            entry.heading = self._heading(entry, self.user_id)
            self._route(entry, self.audience(channel), shown)
        elif method == "chat.postEphemeral":
            who = str(params.get("user"))
            entry = Posted("", channel, dict(params))
            entry.heading = self._heading(entry, who)
            self._route(entry, [who], shown)
        elif method == "chat.update":
            self._show_update(channel, params, shown)
        elif method == "response_url":
            self._show_response(params, shown)
        elif method in ("views.open", "views.push", "views.update"):
            self._show_view_call(method, params, result)
        elif method == "views.publish":
            who = str(params.get("user_id"))
            view = {**(params.get("view") or {}), "id": (result.get("view") or {}).get("id")}
            home = Posted("", "", view, home=True)
            home.heading = self._heading(home, who)
            self._route(home, [who], shown)
        else:
            self._show_action(method, params, channel)

    def _show_action(self, method: str, params: dict[str, Any], channel: str) -> None:
        if method == "conversations.open":
            people = self._mentions(params.get("users", ""))
            self.say(self.words("opened_conversation", people=people))
        elif method == "conversations.create":
            self.say(self.words("created_channel", name=params.get("name")))
        elif method == "conversations.invite":
            people = self._mentions(params.get("users", ""))
            self.say(self.words("invited", people=people, where=self._where(channel)))
        elif method == "files.completeUploadExternal":
            files = params.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            titles = ", ".join(str(f.get("title") or f.get("id")) for f in files)
            channel = str(params.get("channel_id") or params.get("channels") or "")
            if channel:
                self.say(self.words("shared_files", titles=titles, where=self._where(channel)))
            else:
                self.say(self.words("uploaded_files", titles=titles))
        elif method == "files.delete":
            self.say(self.words("deleted_file", file=params.get("file")))
        else:
            self.say(self.words("called", method=method))

    def _show_update(self, channel: str, params: dict[str, Any], shown: list[Pressable]) -> None:
        entry = self.inboxes.find(channel, str(params.get("ts") or ""))
        heading = self.words("edited_in", where=self._where(channel))
        if entry is None:
            self._show_message(heading, params, shown)
            return
        entry.content = {**entry.content, **params}
        entry.seen_by.clear()
        people = self.audience(channel)
        if self.user_id in people:
            entry.seen_by.add(self.user_id)
            self._show_message(heading, entry.content, shown, message=entry.content, entry=entry)

    def _show_response(self, params: dict[str, Any], shown: list[Pressable]) -> None:
        original = self._replies.get(str(params.get("_key")))
        if params.get("delete_original") in (True, "true"):
            if original is not None:
                self.inboxes.remove(original)
            self.say(self.words("deleted_message"))
            return
        if params.get("response_type") == "in_channel":
            heading = self.words("posted_in", where="#" + CHANNEL_NAME)
        else:
            heading = self.words("answer_to_you")
        replacing = params.get("replace_original") in (True, "true")
        if replacing:
            heading = self.words("answer_replacing", heading=heading)
        if replacing and original is not None:
            # The message in the inbox changes, so its new buttons stay pressable later.
            content = {k: v for k, v in params.items() if not k.startswith("_")}
            original.content = {**content, "ts": original.ts}
            self._show_message(
                heading,
                original.content,
                shown,
                message=original.content,
                channel=original.channel,
                entry=original,
            )
            return
        self._show_message(heading, params, shown)

    def _show_view_call(self, method: str, params: dict[str, Any], result: dict[str, Any]) -> None:
        view = {**(params.get("view") or {}), "id": (result.get("view") or {}).get("id")}
        if method == "views.open":
            self.views = [OpenView(view, _initial_values(view))]
        elif method == "views.push":
            self.views.append(OpenView(view, _initial_values(view)))
        else:
            target = params.get("view_id") or view["id"]
            for index, current in enumerate(self.views):
                if current.view.get("id") == target:
                    self.views[index] = OpenView(view, _initial_values(view, current.values))
                    break
            else:
                return
        if method == "views.update":
            self.say(self.words("form_changed"))
        else:
            self.say(self.words("form_opened", method=method))
        self.show_view()


def _known_people(slack: LocalSlack, database: Database) -> None:
    """Everyone this database has seen in the local workspace becomes a local Slack user."""
    with database.session() as session:
        for participant in session.scalars(
            select(Participant).where(Participant.team_id == TEAM_ID)
        ):
            if participant.user_id not in slack.users:
                name = participant.display_name or participant.user_id.lower()
                slack.add_user(participant.user_id, name)


@contextmanager
def local_console(
    settings: Settings,
    database: Database,
    *,
    out: TextIO,
    demo_data: bool = False,
    log_path: str | None = None,
) -> Iterator[Console]:
    """A console on a fresh local Slack, with the real app built from ``settings``.

    The Slack tokens and signing secret are made up here: nothing leaves this machine.
    """
    slack = LocalSlack(token=LOCAL_BOT_TOKEN).start()
    local = replace(
        settings,
        # Locally the guest and the demo's city staff may try the facilitator tools.
        facilitators=settings.facilitators | {GUEST[0], *demo.FACILITATORS},
        slack_bot_token=LOCAL_BOT_TOKEN,
        slack_app_token=None,
        slack_signing_secret=secrets.token_hex(16),
        slack_api_url=slack.api_url,
    )
    listener_pool = WatchedExecutor(local.listener_threads, thread_name_prefix="collider-listener")
    worker_pool = WatchedExecutor(local.worker_threads, thread_name_prefix="collider-work")
    listeners = WatchedPools(listener_pool, worker_pool)
    sweeper = None
    try:
        app = create_app(
            local,
            database,
            client=make_web_client(local, timeout=5),
            listener_executor=listener_pool,
            worker_executor=worker_pool,
        )
        # Similar-idea suggestions come from the sweeper, as in production, only sooner.
        sweeper = start_suggestion_sweeper(
            local, database, make_web_client(local, timeout=5), interval=0.05
        )
        requests = LocalRequests(app, slack, local.slack_signing_secret or "")
        user_id = GUEST[0]
        seeded = None
        if demo_data:
            demo.register_people(slack)
            seeded = demo.seed(database)
            user_id = demo.PEOPLE[0].user_id
        _known_people(slack, database)
        if user_id not in slack.users:
            slack.add_user(*GUEST)
        console = Console(requests, slack, database, local, listeners, out, user_id)
        console.log_path = log_path
        if seeded is not None:
            # Told to the person who is about to act, in their language.
            console.say(
                console.words(
                    "demo_workspace",
                    people=len(demo.PEOPLE),
                    ideas=len(demo.IDEAS),
                    people_added=seeded.people_added,
                    ideas_added=seeded.ideas_added,
                )
            )
        yield console
    finally:
        listeners.shutdown(wait=True, cancel_futures=True)
        if sweeper is not None:
            sweeper.stop()
        slack.stop()
