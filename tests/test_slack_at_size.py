"""The bot at its largest surfaces: 60 participants, 40 ideas for one person, groups of 30,
105 open themes and a 10-question poll; and past Slack's 100 options: 105 themes in the match
form, 106 rounds to poll, a preview of 120 people to move. Every payload the app sends is held
to Block Kit's limits (and the escaping rules) by the local Slack (the ``slack`` fixture fails
the test on any violation); here we also check that nothing is cut without a word, and that
what a message can only count is one search or one button away."""

from __future__ import annotations

import json
import time

from bot.local.slack import LocalSlack
from bot.settings import Settings
from handlers import ids
from models import Round, RoundStatus
from models.db import Database
from tests.handlers.test_no_silent_caps import add_themes, make_preview
from tests.handlers.test_rounds import (
    FACILITATOR,
    button,
    form_values,
    wait_for_text,
)
from tests.polls.world import buttons, dm_of, make_round, poll_messages
from tests.scheduler.conftest import eventually
from tests.slack_driver import SlackDriver, response_json, text_of

PEOPLE = [f"U5{n:02d}" for n in range(60)]
QUESTIONS = "\n".join(
    [f"scale: Question {n} about how the think tank went?" for n in range(1, 8)]
    + ["choice: Next step? | Pilot | Stop | Think more", "text: What helped?", "text: What not?"]
)


def seed(driver: SlackDriver, database: Database, slack: LocalSlack) -> None:
    slack.add_user(FACILITATOR, "fasi")
    name, described = "Strategy goal {n:03} with a long name for the city", "A goal. " * 40
    add_themes(database, 105, name=name, description=described)
    for number, user in enumerate(PEOPLE):
        slack.add_user(user, f"person-{number}-with-a-long-display-name")
        driver.command(
            "/idea", f"Yhteisöpuutarha ja kaupunkiviljely kortteliin {number}", user=user
        )
    # One person with 40 ideas.
    for number in range(39):
        driver.command("/idea", f"Idea number {number} about libraries and parks", user=PEOPLE[0])
    # 105 earlier rounds (one person each, no ideas left in the pool): 106 rounds to poll.
    for number in range(105):
        make_round(database, slack, [[f"U8{number:03d}"]])


def test_largest_surfaces_stay_valid_and_say_what_they_leave_out(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    seed(driver, database, slack)

    # 105 open themes: the form opens, and a search answers at most 100 options.
    form = driver.command_view("/idea", "", user=PEOPLE[1])
    assert len(driver.suggest(form, ids.IDEA_FIELDS["theme"])) == 100
    assert len(driver.suggest(form, ids.IDEA_FIELDS["theme"], "goal 104")) == 2  # + "new theme"
    listing = text_of(response_json(driver.command("/collider", "themes", user=PEOPLE[1])))
    assert all(f"Strategy goal {n:03}" in listing for n in range(105)) or "more themes" in listing

    # 40 ideas in App Home, all of them listed.
    driver.event({"type": "app_home_opened", "user": PEOPLE[0], "channel": "D1", "tab": "home"})
    home = json.dumps(slack.wait_for("views.publish")[-1]["view"], ensure_ascii=False)
    assert home.count("about libraries and parks") == 39

    # Groups of 30: every member in the preview and in the intros, none cut mid-name. The
    # match form's theme filter searches all 105 themes.
    values = {**form_values(min_size=30, max_size=30, diversity=0)}
    match_form = driver.command_view("/collider", "match", user=FACILITATOR)
    field = ids.MATCH_FIELDS["theme"]
    assert len(driver.suggest(match_form, field, user=FACILITATOR)) == 100  # "any" + 99
    assert len(driver.suggest(match_form, field, "goal 104", user=FACILITATOR)) == 1
    driver.submit(match_form, values, user=FACILITATOR)
    preview = wait_for_text(slack, "Think tank preview", timeout=20)
    shown = text_of(preview)
    assert all(f"<@{user}>" in shown for user in PEOPLE)
    move_everyone_of_a_preview_of_120(driver, database)
    driver.click(ids.ROUND_CONFIRM, button(preview, ids.ROUND_CONFIRM)["value"], user=FACILITATOR)
    round_id = json.loads(button(preview, ids.ROUND_CONFIRM)["value"])["r"]
    round_ = completed(database, round_id)
    intros = [c for c in slack.calls_to("chat.postMessage") if "Who is here" in text_of(c)]
    assert len(intros) == 2
    assert all(f"<@{user}>" in "".join(map(text_of, intros)) for user in PEOPLE)

    # A 10-question poll to all 60, with long answers in their own words.
    template = driver.command_view("/collider", "poll new", user=FACILITATOR)
    fields = ids.TEMPLATE_FIELDS
    driver.submit(
        template, {fields["name"]: "Big", fields["questions"]: QUESTIONS}, user=FACILITATOR
    )
    send_form = driver.command_view("/collider", "poll send", user=FACILITATOR)
    send = ids.POLL_SEND_FIELDS
    [chosen] = [
        o["value"] for o in driver.suggest(send_form, send["template"], "big", user=FACILITATOR)
    ]
    # 106 rounds: the newest is chosen, the rest are counted and found by their number.
    newest = next(b for b in send_form["blocks"] if b["block_id"] == send["round"])
    assert newest["element"]["initial_option"]["value"] == str(round_.id)
    assert len(driver.suggest(send_form, send["round"], user=FACILITATOR)) == 100
    first = min(int(o["value"]) for o in driver.suggest(send_form, send["round"], user=FACILITATOR))
    older = str(first - 1)
    assert older in [
        o["value"] for o in driver.suggest(send_form, send["round"], older, user=FACILITATOR)
    ]
    driver.submit(
        send_form,
        {
            send["round"]: {"option": str(round_.id)},
            send["template"]: {"option": chosen},
            send["days"]: "3",
        },
        user=FACILITATOR,
    )
    # The poll's own 60 DMs, not any 60 posts: other messages (notices) may come between.
    assert eventually(lambda: len(poll_messages(slack)) >= 60, timeout=30)
    assert len(poll_messages(slack)) == 60
    for user in PEOPLE:
        message = [m for m in poll_messages(slack) if m["channel"] == dm_of(slack, user)][-1]
        write = next(b for b in buttons(message) if b["action_id"] == ids.POLL_WRITE)
        opened = len(slack.calls_to("views.open"))
        driver.click(ids.POLL_WRITE, write["value"], user=user, message=message)
        view = slack.wait_for("views.open", opened + 1)[-1]["view"]
        keys = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
        long = f"*Bold* words from {user}: " + "we met in the library and planned. " * 40
        driver.submit(view, {key: long for key in keys}, user=user)
    driver.command("/collider", f"report round {round_.id}", user=FACILITATOR)
    report = wait_for_text(slack, "Poll report")
    said = text_of(report)
    assert "more answers in their own words" in said
    assert len(report["blocks"]) <= 50
    # ...and every one of them, whole, as a file by DM.
    [full] = [b for b in buttons(report) if b["action_id"] == ids.REPORT_FILE]
    files = len(slack.calls_to("files.completeUploadExternal"))
    driver.click(ids.REPORT_FILE, full["value"], user=FACILITATOR, message=report)
    shared = slack.wait_for("files.completeUploadExternal", files + 1)[-1]
    assert shared["channel_id"] == dm_of(slack, FACILITATOR)
    text = slack.uploads[shared["files"][0]["id"]].decode()
    for user in PEOPLE:
        long = f"*Bold* words from {user}: " + "we met in the library and planned. " * 40
        assert text.count(long.strip()) == 2  # both written questions


def completed(database: Database, round_id: int, timeout: float = 20.0) -> Round:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.session() as session:
            found = session.get(Round, round_id)
            if found is not None and found.status is RoundStatus.COMPLETED:
                return found
        time.sleep(0.02)
    raise AssertionError(f"round {round_id} did not complete")


def move_everyone_of_a_preview_of_120(driver: SlackDriver, database: Database) -> None:
    """The move form of a preview of 120 people: every one of them is a search away."""
    round_id, version = make_preview(database, groups=4, size=30)
    driver.click(ids.ROUND_MOVE, json.dumps({"r": round_id, "v": version}), user=FACILITATOR)
    move_form = driver.last_opened_view()
    field = ids.MOVE_FIELDS["person"]
    assert len(driver.suggest(move_form, field, user=FACILITATOR)) == 100
    for number in range(1, 5):
        found = driver.suggest(move_form, field, f"#{number}", user=FACILITATOR)
        assert len(found) == 30
