"""Issue 11, item 4: a form submission or a click sent twice (a proxy replaying a signed request,
a resend) has its effect once. The same body goes to the app twice; between the two, every
table and every Slack call that does something is compared."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.local.requests import view_state
from bot.local.slack import TEAM_ID, LocalSlack
from bot.settings import Settings
from bot.suggestions import SuggestionSweeper
from handlers import ids
from models import Base, HandledRequest, Idea, IdeaKind, PendingSuggestion, Theme
from models.db import Database
from services import ideas, participants
from services.participants import SlackUser
from tests.conftest import SIGNING_SECRET, local_app
from tests.polls.world import answer_button, buttons, dm_of, make_round, poll_messages
from tests.slack_driver import SlackDriver

FACILITATOR = "UFACIL"
# What only reads: the rest of what the app calls on Slack is an effect.
READS = {"auth.test", "users.info", "chat.getPermalink", "conversations.members"}


@dataclass
class World:
    driver: SlackDriver
    slack: LocalSlack
    database: Database
    executors: tuple[ThreadPoolExecutor, ...]

    def settle(self) -> None:
        """Wait until every listener and every piece of work after the ack has finished: each
        pool is filled with barrier tasks, which start only once all earlier tasks are done."""
        for executor in (*self.executors, *self.executors):
            size = executor._max_workers
            barrier = threading.Barrier(size + 1, timeout=20)
            for _ in range(size):
                executor.submit(barrier.wait)
            barrier.wait()

    def submission(self, view: dict[str, Any], values: dict[str, Any], user: str) -> dict:
        """A ``view_submission`` payload, as Slack sends it for the form Slack opened."""
        opened = next(
            (c.result or {}).get("view")
            for c in reversed(self.slack.calls)
            if c.method == "views.open" and c.params.get("view") == view
        )
        return {
            "type": "view_submission",
            **self.driver.actor(user),
            "view": {
                **view,
                "id": opened["id"],
                "hash": opened["hash"],
                "team_id": TEAM_ID,
                "state": {"values": view_state(view, values)},
            },
        }

    def opened(self, send: Callable[[], Any]) -> dict[str, Any]:
        before = len(self.slack.calls_to("views.open"))
        send()
        return self.slack.wait_for("views.open", before + 1)[-1]["view"]


@pytest.fixture
def world(
    settings: Settings,
    database: Database,
    slack: LocalSlack,
    suggestion_sweeper: SuggestionSweeper,  # similar-idea suggestions come from the sweeper
) -> Iterator[World]:
    listeners = ThreadPoolExecutor(8, thread_name_prefix="replay-listener")
    workers = ThreadPoolExecutor(4, thread_name_prefix="replay-work")
    app = local_app(settings, database, listeners, workers)
    # Everyone has chosen a language: looking it up (before any request is claimed) writes nothing.
    with database.session() as session:
        for user_id in (FACILITATOR, "U001", "U002", "U401", "U402", "U403"):
            slack.add_user(user_id, user_id.lower())
            participants.update_profile(
                session,
                SlackUser(TEAM_ID, user_id),
                participants.ProfileUpdate(None, None, "en"),
            )
    yield World(SlackDriver(app, slack, SIGNING_SECRET), slack, database, (listeners, workers))
    listeners.shutdown(wait=True)
    workers.shutdown(wait=True)


def only_idea(world: World) -> int:
    with world.database.session() as session:
        return session.scalars(select(Idea.id)).one()


def seed_people(world: World, count: int = 6) -> list[str]:
    users = [f"U{100 + n}" for n in range(count)]
    themes = ["tool library in the city library", "green school yards with vegetable gardens"]
    with world.database.session() as session:
        for number, user_id in enumerate(users):
            world.slack.add_user(user_id, user_id.lower())
            user = SlackUser(TEAM_ID, user_id)
            body = f"{themes[number % 2]}, proposal {number}"
            ideas.submit_idea(session, user, ideas.IdeaInput(kind=IdeaKind.IDEA, body=body))
            kind = ["city", "company", "resident"][number % 3]
            participants.update_profile(
                session, user, participants.ProfileUpdate(f"Org {number}", kind, "en")
            )
    return users


def fingerprint(world: World) -> tuple[Any, ...]:
    """Every row of every table (the request keys aside), and every Slack call with an effect,
    once the work after the ack and the similar-idea sweeper (a queue) have both finished."""
    world.settle()
    deadline = time.monotonic() + 5
    while True:
        with world.database.session() as session:
            if session.scalars(select(PendingSuggestion.idea_id)).first() is None:
                break
        assert time.monotonic() < deadline, "similar-idea suggestions still queued"
        time.sleep(0.01)
    with world.database.session() as session:
        rows = {
            table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
            for table in Base.metadata.sorted_tables
            if table.name != HandledRequest.__tablename__
        }
    calls = [
        (call.method, json.dumps(call.params, sort_keys=True, default=str))
        for call in world.slack.calls
        if call.method not in READS
    ]
    return rows, calls


# -- the forms: each scene returns the payload to send twice --------------------------------------
def idea_form(world: World) -> dict:
    view = world.opened(lambda: world.driver.command("/idea", ""))
    return world.submission(view, {ids.IDEA_FIELDS["body"]: "A replayed idea"}, "U001")


def profile_form(world: World) -> dict:
    view = world.opened(lambda: world.driver.command("/collider", "profile"))
    values = {
        ids.PROFILE_FIELDS["organisation"]: "Replay Oy",
        ids.PROFILE_FIELDS["organisation_type"]: {"option": "company"},
        ids.PROFILE_FIELDS["language"]: {"option": "en"},
    }
    return world.submission(view, values, "U001")


def theme_form(world: World) -> dict:
    view = world.opened(lambda: world.driver.command("/collider", "theme open", user=FACILITATOR))
    return world.submission(view, {ids.THEME_FIELDS["title"]: "Replayed theme"}, FACILITATOR)


def stage_form(world: World) -> dict:
    seed_people(world, 1)
    stage = f"stage {only_idea(world)}"
    view = world.opened(lambda: world.driver.command("/collider", stage, user=FACILITATOR))
    values = {ids.STAGE_FIELDS["stage"]: {"option": "experiment"}, ids.STAGE_FIELDS["note"]: "go"}
    return world.submission(view, values, FACILITATOR)


def template_form(world: World) -> dict:
    view = world.opened(lambda: world.driver.command("/collider", "poll new", user=FACILITATOR))
    values = {ids.TEMPLATE_FIELDS["name"]: "Pilot", ids.TEMPLATE_FIELDS["questions"]: "text: Why?"}
    return world.submission(view, values, FACILITATOR)


def poll_send_form(world: World) -> dict:
    round_id, _ = make_round(world.database, world.slack, [["U401", "U402", "U403"]])
    view = world.opened(lambda: world.driver.command("/collider", "poll send", user=FACILITATOR))
    fields = ids.POLL_SEND_FIELDS
    values = {
        fields["round"]: {"option": str(round_id)},
        fields["template"]: {"option": "default"},
        fields["days"]: "3",
    }
    return world.submission(view, values, FACILITATOR)


def sent_poll(world: World) -> dict[str, Any]:
    """A poll sent to three people; U401's poll message."""
    world.driver.interaction(poll_send_form(world))
    world.settle()
    return next(m for m in poll_messages(world.slack) if m["channel"] == dm_of(world.slack, "U401"))


def poll_text_form(world: World) -> dict:
    message = sent_poll(world)
    write = next(b for b in buttons(message) if b["action_id"] == ids.POLL_WRITE)
    view = world.opened(
        lambda: world.driver.click(ids.POLL_WRITE, write["value"], user="U401", message=message)
    )
    texts = {
        block["block_id"]: "A replayed answer"
        for block in view["blocks"]
        if str(block.get("block_id", "")).startswith(ids.POLL_TEXT_PREFIX)
    }
    return world.submission(view, texts, "U401")


def match_form(world: World) -> dict:
    seed_people(world)
    view = world.opened(lambda: world.driver.command("/collider", "match", user=FACILITATOR))
    fields = ids.MATCH_FIELDS
    values = {
        fields["min_size"]: "3",
        fields["max_size"]: "3",
        fields["diversity"]: "2",
        fields["window"]: "3",
    }
    return world.submission(view, values, FACILITATOR)


def preview(world: World) -> dict[str, Any]:
    world.driver.interaction(match_form(world))
    world.settle()
    return next(
        call
        for call in world.slack.calls_to("chat.postMessage")
        if ids.ROUND_CONFIRM in json.dumps(call.get("blocks"))
    )


def button_value(message: dict[str, Any], action_id: str) -> str:
    for block in message["blocks"]:
        for element in block.get("elements", []) + [block.get("accessory") or {}]:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


def move_form(world: World) -> dict:
    message = preview(world)
    value = button_value(message, ids.ROUND_MOVE)
    view = world.opened(
        lambda: world.driver.click(ids.ROUND_MOVE, value, user=FACILITATOR, message=message)
    )
    person = world.driver.suggest(view, ids.MOVE_FIELDS["person"], user=FACILITATOR)[0]["value"]
    values = {ids.MOVE_FIELDS["person"]: {"option": person}, ids.MOVE_FIELDS["group"]: "2"}
    return world.submission(view, values, FACILITATOR)


FORMS: dict[str, Callable[[World], dict]] = {
    ids.IDEA_MODAL: idea_form,
    ids.PROFILE_MODAL: profile_form,
    ids.THEME_MODAL: theme_form,
    ids.STAGE_MODAL: stage_form,
    ids.POLL_TEMPLATE_MODAL: template_form,
    ids.POLL_SEND_MODAL: poll_send_form,
    ids.POLL_TEXT_MODAL: poll_text_form,
    ids.MATCH_MODAL: match_form,
    ids.MOVE_MODAL: move_form,
}


# -- the clicks -----------------------------------------------------------------------------------
def confirm_click(world: World) -> dict:
    message = preview(world)
    value = button_value(message, ids.ROUND_CONFIRM)
    return world.driver.click_payload(
        ids.ROUND_CONFIRM, value, user=FACILITATOR, message=message, channel=message["channel"]
    )


def poll_answer_click(world: World) -> dict:
    message = sent_poll(world)
    button = next(b for b in buttons(message) if b["action_id"].startswith(ids.POLL_ANSWER_PREFIX))
    question, value = button["action_id"].split(":")[-2:]
    button = answer_button(message, question, value)
    return world.driver.click_payload(
        button["action_id"], button["value"], user="U401", message=message
    )


def withdraw_click(world: World) -> dict:
    seed_people(world, 1)
    return world.driver.click_payload(ids.WITHDRAW_IDEA, str(only_idea(world)), user="U100")


def forget_click(world: World) -> dict:
    seed_people(world, 1)
    return world.driver.click_payload(ids.FORGET_ME_CONFIRM, user="U100")


def similar_offer(slack: LocalSlack, timeout: float = 5.0) -> dict:
    """The suggestion the sweeper sent (a moment after the ack)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in slack.calls_to("response_url"):
            if ids.SIMILAR_JOIN in json.dumps(call.get("blocks")):
                return call
        time.sleep(0.01)
    raise AssertionError("no similar-idea suggestion was sent")


def similar_join_click(world: World) -> dict:
    world.driver.command("/idea", "A tool library in the city library for residents", user="U001")
    world.driver.command("/idea", "Tool library for residents in the city library", user="U002")
    world.settle()
    value = button_value(similar_offer(world.slack), ids.SIMILAR_JOIN)
    # The offer went to the author of its "own" idea (both ideas are offered to each other).
    with world.database.session() as session:
        owner = session.get(Idea, json.loads(value)["own"])
        assert owner is not None
        user = owner.author.user_id
    return world.driver.click_payload(ids.SIMILAR_JOIN, value, user=user)


CLICKS: dict[str, Callable[[World], dict]] = {
    ids.ROUND_CONFIRM: confirm_click,
    "poll_answer": poll_answer_click,
    ids.WITHDRAW_IDEA: withdraw_click,
    ids.FORGET_ME_CONFIRM: forget_click,
    ids.SIMILAR_JOIN: similar_join_click,
}


def test_every_form_the_app_has_is_replayed_below() -> None:
    modals = {value for name, value in vars(ids).items() if name.endswith("_MODAL")}
    assert modals == set(FORMS)


@pytest.mark.parametrize("scene", [*FORMS, *CLICKS])
def test_a_replayed_request_has_no_second_effect(world: World, scene: str) -> None:
    payload = (FORMS.get(scene) or CLICKS[scene])(world)
    body = world.driver.interaction_body(payload)
    first = world.driver.send(body)
    assert first.status == 200
    once = fingerprint(world)

    again = world.driver.send(body)
    assert again.status == 200 and again.body == ""  # a harmless ack
    twice = fingerprint(world)
    assert {t: r for t, r in twice[0].items() if once[0][t] != r} == {}
    assert twice[1][len(once[1]) :] == []
    assert twice == once


def test_a_form_sent_back_with_errors_can_be_corrected_and_sent_again(world: World) -> None:
    """The same view (id and hash) comes back corrected: the refusal left no claim behind."""
    view = world.opened(lambda: world.driver.command("/idea", ""))
    empty = world.submission(view, {ids.IDEA_FIELDS["body"]: "   "}, "U001")
    assert '"errors"' in world.driver.interaction(empty).body
    fixed = world.submission(view, {ids.IDEA_FIELDS["body"]: "Corrected idea"}, "U001")
    assert fixed["view"]["id"] == empty["view"]["id"]
    world.driver.interaction(fixed)
    with world.database.session() as session:
        assert [idea.body for idea in session.scalars(select(Idea))] == ["Corrected idea"]


def test_a_failed_first_attempt_can_be_retried(world: World) -> None:
    """The database fails inside the listener: the claim is released with the rolled-back work,
    so the same request, sent again, is carried out."""
    view = world.opened(lambda: world.driver.command("/collider", "theme open", user=FACILITATOR))
    payload = world.submission(view, {ids.THEME_FIELDS["title"]: "Second try"}, FACILITATOR)
    body = world.driver.interaction_body(payload)

    def fail_once(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO THEMES"):
            event.remove(world.database.engine, "before_cursor_execute", fail_once)
            raise OSError("the connection broke")

    event.listen(world.database.engine, "before_cursor_execute", fail_once)
    failed = world.driver.send(body)
    assert "went wrong" in failed.body
    world.driver.send(body)
    with world.database.session() as session:
        assert [theme.title for theme in session.scalars(select(Theme))] == ["Second try"]
