"""Issue 11, item 7: user text reaches Slack escaped everywhere, top-level ``text`` included.

Every user-controlled field of a whole season (ideas, profiles, a theme, a round with its
preview and intros, a poll template with its questions and answers, reports, a stage move)
carries a canary. The local Slack checks every payload it receives, and every ack, for a live
``<!channel>`` or a live link to the canary domain (``bot.local.escaping``); the ``slack``
fixture fails any test in the suite that sent one. This test makes sure the canary went
everywhere, and that none of it arrived live."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.local.slack import TEAM_ID, LocalSlack
from handlers import ids
from models import Idea
from models.db import Database
from services import participants
from services.participants import SlackUser
from tests.polls.world import answer_button, buttons, dm_of, make_round, poll_messages
from tests.slack_driver import SlackDriver, response_json, text_of

CANARY = "<!channel> <https://evil.example|x> &"
BROADCAST = "<!channel> &"
ESCAPED = "&lt;!channel&gt; &lt;https://evil.example|x&gt; &amp;"
FACILITATOR = "UFACIL"
PEOPLE = [f"U50{n}" for n in range(6)]


def live(slack: LocalSlack) -> list[str]:
    return [str(v) for v in slack.violations if "unescaped user input" in str(v)]


def seed(driver: SlackDriver, database: Database, slack: LocalSlack) -> None:
    slack.add_user(FACILITATOR, "fasi")
    for number, user_id in enumerate(PEOPLE):
        slack.add_user(user_id, f"{user_id.lower()} {CANARY}")
        topic = ["tool library in the city library", "green school yards"][number % 2]
        driver.command("/idea", f"{CANARY} {topic} for residents, proposal {number}", user=user_id)
        with database.session() as session:
            participants.update_profile(
                session,
                SlackUser(TEAM_ID, user_id),
                participants.ProfileUpdate(f"Org {CANARY}", ["city", "company"][number % 2], "en"),
            )


def open_theme(driver: SlackDriver) -> None:
    view = driver.command_view("/collider", "theme open", user=FACILITATOR)
    fields = ids.THEME_FIELDS
    values = {fields["title"]: f"Theme {CANARY}", fields["description"]: CANARY}
    assert response_json(driver.submit(view, values, user=FACILITATOR))["response_action"]


def run_round(driver: SlackDriver, slack: LocalSlack) -> None:
    view = driver.command_view("/collider", "match", user=FACILITATOR)
    fields = ids.MATCH_FIELDS
    values = {fields["min_size"]: "3", fields["max_size"]: "3", fields["diversity"]: "1"}
    values[fields["window"]] = "3"
    driver.submit(view, values, user=FACILITATOR)
    preview = next(
        c
        for c in slack.wait_for("chat.postMessage", 1)
        if ids.ROUND_CONFIRM in json.dumps(c.get("blocks"))
    )
    confirm = next(
        e["value"]
        for b in preview["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == ids.ROUND_CONFIRM
    )
    before = len(slack.calls_to("chat.postMessage"))
    driver.click(ids.ROUND_CONFIRM, confirm, user=FACILITATOR, message=preview)
    slack.wait_for("chat.postMessage", before + 2)  # the think tanks' intros


def send_poll(driver: SlackDriver, database: Database, slack: LocalSlack) -> dict[str, Any]:
    round_id, _ = make_round(database, slack, [["U601", "U602", "U603"]])
    form = driver.command_view("/collider", "poll new", user=FACILITATOR)
    # Questions are split on "|": theirs is the canary without its link.
    questions = f"text: Why {BROADCAST}?\nchoice: Next {BROADCAST}? | {BROADCAST} | Stop"
    fields = ids.TEMPLATE_FIELDS
    saved = driver.submit(
        form, {fields["name"]: f"Pilot {CANARY}", fields["questions"]: questions}, user=FACILITATOR
    )
    assert response_json(saved)["response_action"] == "update", saved.body
    form = driver.command_view("/collider", "poll send", user=FACILITATOR)
    template = next(
        o["value"]
        for o in driver.suggest(form, ids.POLL_SEND_FIELDS["template"], "", user=FACILITATOR)
        if o["value"] != "default"
    )
    send = ids.POLL_SEND_FIELDS
    values = {
        send["round"]: {"option": str(round_id)},
        send["template"]: {"option": template},
        send["days"]: "3",
    }
    driver.submit(form, values, user=FACILITATOR)
    slack.wait_for("chat.postMessage", len(slack.calls_to("chat.postMessage")) + 1)
    message = next(m for m in slack.wait_for("chat.postMessage") if m in poll_messages(slack))
    return {"round": round_id, "message": message}


def answer_poll(driver: SlackDriver, slack: LocalSlack, message: dict[str, Any]) -> None:
    user = next(u for u in ("U601", "U602", "U603") if dm_of(slack, u) == message["channel"])
    write = next(b for b in buttons(message) if b["action_id"] == ids.POLL_WRITE)
    opened = len(slack.calls_to("views.open"))
    driver.click(ids.POLL_WRITE, write["value"], user=user, message=message)
    view = slack.wait_for("views.open", opened + 1)[-1]["view"]
    texts = {
        b["block_id"]: f"Because {CANARY}"
        for b in view["blocks"]
        if str(b.get("block_id", "")).startswith(ids.POLL_TEXT_PREFIX)
    }
    driver.submit(view, texts, user=user)
    choice = next(b for b in buttons(message) if b["action_id"].startswith(ids.POLL_ANSWER_PREFIX))
    question, value = choice["action_id"].split(":")[-2:]
    button = answer_button(message, question, value)
    driver.click(button["action_id"], button["value"], user=user, message=message)


def test_a_season_full_of_canaries_sends_none_of_them_live(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    seed(driver, database, slack)
    open_theme(driver)
    for command, text in (
        ("/ideas", ""),
        ("/ideas", CANARY),
        ("/collider", "themes"),
        ("/collider", CANARY),
        ("/collider", f"report theme {CANARY}"),
    ):
        driver.command(command, text, user=FACILITATOR)
    run_round(driver, slack)
    poll = send_poll(driver, database, slack)
    answer_poll(driver, slack, poll["message"])
    reports = len(slack.calls_to("chat.postMessage"))
    driver.command("/collider", f"report round {poll['round']}", user=FACILITATOR)
    slack.wait_for("chat.postMessage", reports + 1)
    with database.session() as session:
        first_idea = session.scalars(select(Idea.id).order_by(Idea.id)).first()
    view = driver.command_view("/collider", f"stage {first_idea}", user=FACILITATOR)
    fields = ids.STAGE_FIELDS
    driver.submit(
        view, {fields["stage"]: {"option": "pilot"}, fields["note"]: CANARY}, user=FACILITATOR
    )

    assert ESCAPED in poll["message"]["text"]  # the poll's name, in the notification text
    seen = "\n".join(text_of(call.params) for call in slack.calls if isinstance(call.params, dict))
    assert seen.count("&lt;!channel&gt;") > 10  # the canary did go everywhere
    assert live(slack) == []
