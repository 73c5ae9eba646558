"""A change of answer key unlinks nothing (services/answer_keys.py).

The likeliest change: an installation starts without ``COLLIDER_ANSWER_KEY`` (a key is
generated and stored), then the admin sets it, as ``collider doctor`` advises. Or a configured
key is rotated, the old one declared in ``COLLIDER_PREVIOUS_ANSWER_KEYS``. Either way, answers
given before the change are still the person's: ``/collider forget-me`` erases their texts,
``/collider my-data`` includes them, changing one does not add a second, and a form opened
before the change keeps its signed link. A change nobody declared is named by ``collider
doctor`` and at start. Each step is a signed request to the real app, before the change and,
after it, to an app restarted with the new settings (its own engine: nothing kept from before).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.commands.doctor import diagnose
from bot.commands.run import warn_of_answer_key_changes
from bot.local.slack import LocalSlack
from bot.settings import Settings
from handlers import ids
from handlers import programme_blocks as views
from models import Idea, PollAnswer, StageEvaluationAnswer
from models.db import Database
from tests.conftest import SIGNING_SECRET, local_app
from tests.handlers.test_privacy import uploaded_json
from tests.handlers.test_save_as_idea import shortcut_form
from tests.personal_data_search import traces
from tests.polls.test_poll_reports import click, write
from tests.polls.world import after, buttons, dm_of, make_round, poll_messages, sweep
from tests.programme.test_evaluation_lifecycle import finish_stage
from tests.programme.test_programme_path import MEMBERS, invites_sent, open_form, setup_tank
from tests.slack_driver import SlackDriver, response_json, text_of

OLD = "old-answer-key-" + "o" * 32
NEW = "new-answer-key-" + "n" * 32
PEOPLE = ["U501", "U502", "U503"]
FIRST_WORDS = "Kirjaston kokoushuone auttoi"
# What U502 wrote: theirs to see and to erase.
SECRET_WORDS = "Vain minä tiedän tämän"
# (the key before, the key after, the earlier keys declared after)
CHANGES = {
    "generated, then configured": (None, NEW, ()),
    "rotated, the old key declared": (OLD, NEW, (OLD,)),
}


@dataclass(frozen=True)
class KeyChange:
    before: Settings
    after: Settings


def keyed(settings: Settings, key: str | None, previous: tuple[str, ...] = ()) -> Settings:
    return replace(settings, answer_key=key, previous_answer_keys=previous)


@pytest.fixture(params=list(CHANGES), ids=list(CHANGES))
def change(request: pytest.FixtureRequest, settings: Settings) -> KeyChange:
    before, key, previous = CHANGES[request.param]
    return KeyChange(keyed(settings, before), keyed(settings, key, previous))


@contextmanager
def restarted(settings: Settings, database: Database, slack: LocalSlack) -> Iterator[SlackDriver]:
    """The app as a process started with ``settings`` runs it: its own engine, nothing kept."""
    fresh = Database(database.url)
    listeners = ThreadPoolExecutor(4, thread_name_prefix="key-listener")
    workers = ThreadPoolExecutor(2, thread_name_prefix="key-work")
    try:
        yield SlackDriver(local_app(settings, fresh, listeners, workers), slack, SIGNING_SECRET)
    finally:
        listeners.shutdown(wait=True)
        workers.shutdown(wait=True)
        fresh.dispose()


def answer_poll(driver: SlackDriver, slack: LocalSlack, database: Database, s: Settings) -> None:
    """A poll to three people; two of them also write what helped."""
    make_round(database, slack, [PEOPLE])
    assert sweep(database, s, after(16)).sent == len(PEOPLE)
    for user, value in zip(PEOPLE, ("2", "4", "3"), strict=True):
        click(driver, slack, user, "useful", value)
    write(driver, slack, "U501", {"helped": FIRST_WORDS})
    write(driver, slack, "U502", {"helped": SECRET_WORDS})


def stored_answers(database: Database) -> list[tuple[str, str, str]]:
    """(respondent, question, value) of every poll answer."""
    with database.session() as session:
        rows = session.execute(
            select(PollAnswer.respondent, PollAnswer.question_key, PollAnswer.value)
        ).all()
    return [(respondent, question, value) for respondent, question, value in rows]


def text_form_of(driver: SlackDriver, slack: LocalSlack, user: str) -> dict[str, Any]:
    message = [m for m in poll_messages(slack) if m["channel"] == dm_of(slack, user)][-1]
    button = next(b for b in buttons(message) if b["action_id"] == ids.POLL_WRITE)
    opened = len(slack.calls_to("views.open"))
    driver.click(ids.POLL_WRITE, button["value"], user=user, message=message)
    return slack.wait_for("views.open", opened + 1)[-1]["view"]


def forget_me(driver: SlackDriver, slack: LocalSlack, user: str) -> None:
    before = len(slack.calls_to("response_url"))
    driver.click(ids.FORGET_ME_CONFIRM, user=user)
    assert "deleted" in text_of(slack.wait_for("response_url", before + 1)[-1])


def answer_key_finding(settings: Settings) -> Any:
    [finding] = [f for f in diagnose(settings) if f.check == "answer key changes"]
    return finding


def test_poll_answers_given_before_a_key_change_stay_the_persons(
    change: KeyChange, database: Database, slack: LocalSlack
) -> None:
    with restarted(change.before, database, slack) as driver:
        answer_poll(driver, slack, database, change.before)
    assert len({respondent for respondent, _, _ in stored_answers(database)}) == 3

    with restarted(change.after, database, slack) as driver:
        # The form shows what they wrote; changing an answer changes it, adds none.
        form = json.dumps(text_form_of(driver, slack, "U501"))
        assert FIRST_WORDS in form
        click(driver, slack, "U501", "useful", "5")
        redrawn = slack.calls_to("response_url")[-1]
        assert "✓ 5" in [b["text"]["text"] for b in buttons(redrawn) if b.get("style")]
        answers = stored_answers(database)
        assert len(answers) == 5 and len({respondent for respondent, _, _ in answers}) == 3
        [mine] = {r for r, question, value in answers if (question, value) == ("useful", "5")}
        assert {(q, v) for r, q, v in answers if r == mine} == {
            ("useful", "5"),
            ("helped", FIRST_WORDS),
        }

        # my-data finds U502's answers, made under the earlier key.
        answer = response_json(driver.command("/collider", "my-data", user="U502"))
        assert "direct message" in text_of(answer)
        exported = uploaded_json(slack)["anonymous_poll_answers"]
        assert sorted(row["value"] for row in exported) == ["4", SECRET_WORDS]

        # forget-me erases their text; their scale answer still counts, unlinked.
        forget_me(driver, slack, "U502")
    assert traces(database, SECRET_WORDS) == []
    answers = stored_answers(database)
    assert sorted(value for _, _, value in answers) == sorted(["5", FIRST_WORDS, "4", "3"])
    assert len({respondent for respondent, _, _ in answers}) == 3
    # Nothing for doctor to report: every earlier key is known.
    assert answer_key_finding(change.after).ok


def test_stage_evaluations_given_before_a_key_change_stay_the_persons(
    change: KeyChange, database: Database, slack: LocalSlack
) -> None:
    fields = views.EVALUATION_FIELDS
    _, idea_id, _ = setup_tank(database, slack)
    with restarted(change.before, database, slack) as driver:
        finish_stage(driver, idea_id)
        [invitation, *_] = invites_sent(slack, 3)
        evaluation_id = next(
            e["value"]
            for b in invitation["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
        )
        for user, words in zip(MEMBERS[:2], (FIRST_WORDS, SECRET_WORDS), strict=True):
            form = open_form(driver, slack, views.EVALUATION_OPEN, evaluation_id, user)
            values = {fields["gave"]: words, fields["rating"]: {"option": "4"}}
            driver.submit(form, values, user=user)

    with restarted(change.after, database, slack) as driver:
        form = open_form(driver, slack, views.EVALUATION_OPEN, evaluation_id, MEMBERS[0])
        assert FIRST_WORDS in json.dumps(form)  # their earlier answer, to change
        values = {fields["gave"]: FIRST_WORDS, fields["rating"]: {"option": "2"}}
        assert response_json(driver.submit(form, values, user=MEMBERS[0]))["response_action"]
        with database.session() as session:
            ratings = session.scalars(select(StageEvaluationAnswer.rating)).all()
        assert sorted(ratings) == [2, 4]  # changed, not answered twice

        driver.command("/collider", "my-data", user=MEMBERS[1])
        exported = uploaded_json(slack)["anonymous_stage_evaluation_answers"]
        assert [row["gave"] for row in exported] == [SECRET_WORDS]
        forget_me(driver, slack, MEMBERS[1])
    assert traces(database, SECRET_WORDS) == []
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(StageEvaluationAnswer)) == 2


def test_a_form_opened_before_a_key_change_keeps_its_signed_link(
    change: KeyChange, database: Database, slack: LocalSlack
) -> None:
    with restarted(change.before, database, slack) as driver:
        view = shortcut_form(driver, slack, "Lend tools at the library")
    with restarted(change.after, database, slack) as driver:
        driver.submit(view, {ids.IDEA_FIELDS["body"]: "Lend tools at the library"})
    with database.session() as session:
        idea = session.scalars(select(Idea)).one()
    assert idea.source_url == "https://local.slack.com/archives/C001/p1700000000000100"


def test_an_undeclared_key_change_is_named_and_healed_once_declared(
    settings: Settings, database: Database, slack: LocalSlack, caplog: pytest.LogCaptureFixture
) -> None:
    with restarted(keyed(settings, OLD), database, slack) as driver:
        answer_poll(driver, slack, database, keyed(settings, OLD))
    undeclared = keyed(settings, NEW)
    finding = answer_key_finding(undeclared)
    assert not finding.ok
    assert finding.detail.startswith("COLLIDER_ANSWER_KEY changed")
    assert "COLLIDER_PREVIOUS_ANSWER_KEYS" in finding.fix and "forget" in finding.fix
    with caplog.at_level(logging.WARNING, logger="bot.commands.run"):
        warn_of_answer_key_changes(undeclared)
    [warning] = [r.getMessage() for r in caplog.records if r.name == "bot.commands.run"]
    assert "COLLIDER_ANSWER_KEY changed" in warning
    assert OLD not in warning and NEW not in warning

    # Before anyone acts on it, U501 answers again: under the new key, a second respondent.
    with restarted(undeclared, database, slack) as driver:
        click(driver, slack, "U501", "useful", "1")
    assert len({respondent for respondent, _, _ in stored_answers(database)}) == 4

    declared = keyed(settings, NEW, (OLD,))
    assert answer_key_finding(declared).ok
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.commands.run"):
        warn_of_answer_key_changes(declared)
    assert not [r for r in caplog.records if r.name == "bot.commands.run"]
    with restarted(declared, database, slack) as driver:
        # Their next change makes them one respondent again, with their latest answers.
        click(driver, slack, "U501", "useful", "5")
        answers = stored_answers(database)
        assert len({respondent for respondent, _, _ in answers}) == 3
        assert sorted(v for _, q, v in answers if q == "useful") == ["3", "4", "5"]
        forget_me(driver, slack, "U502")
        forget_me(driver, slack, "U501")
    assert traces(database, SECRET_WORDS, FIRST_WORDS) == []
