"""The path from think tank to experiment at the Slack boundary: signed requests to the real
app, assertions on what the local Slack recorded, every payload within Block Kit limits."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.local.slack import TEAM_ID, LocalSlack
from bot.scheduling import outbound
from bot.settings import Settings
from handlers import ids
from handlers import programme_blocks as views
from handlers.round_blocks import intro_message
from models import (
    Charter,
    Decision,
    Experiment,
    Idea,
    Participant,
    StageEvaluationAnswer,
    StageEvaluationInvite,
    ThinkTank,
)
from models.db import Database
from services import participants
from services.outgoing import Intro
from services.programme_workflow import ask_due_results
from tests.polls.world import FACILITATOR, after, gateway, make_round, poll_messages, sweep
from tests.slack_driver import SlackDriver, response_json, text_of

MEMBERS = ["UAINO", "UBEN", "UCARL"]
TYPES = {"UAINO": "resident", "UBEN": "company", "UCARL": "city"}


def assert_block_kit_limits(payload: dict[str, Any], *, surface: str = "message") -> None:
    blocks = payload.get("blocks") or []
    assert len(blocks) <= (50 if surface == "message" else 100)
    if surface == "modal":
        assert len(payload["title"]["text"]) <= 24
        assert len(payload.get("private_metadata", "")) <= 3000
    for block in blocks:
        text = block.get("text") or {}
        if block["type"] == "section":
            assert len(text["text"]) <= 3000
        if block["type"] == "header":
            assert len(text["text"]) <= 150
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= 75 and len(element["value"]) <= 2000
        element = block.get("element") or {}
        assert len(element.get("options") or []) <= 100


def setup_tank(database: Database, slack: LocalSlack) -> tuple[int, int, str]:
    """A started think tank of three people of three organisation types, anchored on an idea."""
    _, [tank_id] = make_round(database, slack, [MEMBERS])
    with database.session() as session:
        for user_id, kind in TYPES.items():
            participants.update_profile(
                session,
                participants.SlackUser(TEAM_ID, user_id),
                participants.ProfileUpdate(
                    organisation=None, organisation_type=kind, language="en"
                ),
            )
        author = session.scalar(select(Participant).where(Participant.user_id == "UAINO"))
        idea = Idea(author_id=author.id, kind="idea", title="Tool library", body="Tool library")
        session.add(idea)
        session.flush()
        tank = session.get(ThinkTank, tank_id)
        tank.anchor_idea_id = idea.id
        return tank_id, idea.id, tank.conversation_id


def invites_sent(slack: LocalSlack, count: int) -> list[dict[str, Any]]:
    """The stage-evaluation invitations, once ``count`` of them were posted."""
    for total in range(count, 60):
        posted = slack.wait_for("chat.postMessage", total)
        found = [c for c in posted if views.EVALUATION_OPEN in json.dumps(c)]
        if len(found) >= count:
            return found
    raise AssertionError("the invitations did not all arrive")


def move(driver: SlackDriver, idea_id: int, stage: str) -> dict[str, Any]:
    view = driver.command_view("/collider", f"stage {idea_id}", user=FACILITATOR)
    values = {ids.STAGE_FIELDS["stage"]: {"option": stage}, ids.STAGE_FIELDS["note"]: ""}
    return response_json(driver.submit(view, values, user=FACILITATOR))


def open_form(driver: SlackDriver, slack: LocalSlack, action: str, value: str, user: str):
    opened = len(slack.calls_to("views.open"))
    driver.click(action, value, user=user)
    view = slack.wait_for("views.open", opened + 1)[-1]["view"]
    assert_block_kit_limits(view, surface="modal")
    return view


def refused(driver: SlackDriver, slack: LocalSlack, action: str, value: str, user: str) -> str:
    opened = len(slack.calls_to("views.open"))
    before = len(driver.click_replies(0))
    driver.click(action, value, user=user)
    replies = driver.click_replies(before + 1)
    assert len(slack.calls_to("views.open")) == opened
    return text_of(replies[-1])


def test_the_intro_invites_a_charter_within_limits() -> None:
    intro = Intro(think_tank_id=7, round_id=1, number=1, language="fi", members=(), key_terms=())
    message = intro_message(intro)
    assert_block_kit_limits(message)
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [(views.CHARTER_OPEN, "7")]
    assert "pelisäännöt" in text_of(message).lower()


def test_members_write_the_charter_it_is_pinned_and_polls_quote_the_goal(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    tank_id, _, conversation = setup_tank(database, slack)
    slack.add_user("UOUT", "outsider")
    assert "Only members" in refused(driver, slack, views.CHARTER_OPEN, str(tank_id), "UOUT")

    view = open_form(driver, slack, views.CHARTER_OPEN, str(tank_id), "UBEN")
    goal = "A tool library <!channel> open by May"
    values = {
        views.CHARTER_FIELDS["goal"]: goal,
        views.CHARTER_FIELDS["roles"]: "Ben books rooms",
        views.CHARTER_FIELDS["ground_rules"]: "We meet on Mondays",
    }
    crafted = response_json(driver.submit(view, values, user="UOUT"))
    assert crafted["response_action"] == "errors"
    assert response_json(driver.submit(view, values, user="UBEN"))["response_action"] == "update"
    [pin] = slack.wait_for("pins.add")
    [posted] = [c for c in slack.calls_to("chat.postMessage") if c["channel"] == conversation]
    assert pin["channel"] == conversation
    assert_block_kit_limits(posted)
    assert "<!channel>" not in text_of(posted, formatted_only=True)
    assert "&lt;!channel&gt;" in text_of(posted)

    # Edited by another member: the same message changes, nothing is pinned twice.
    view = open_form(driver, slack, views.CHARTER_OPEN, str(tank_id), "UCARL")
    assert view["blocks"][1]["element"]["initial_value"] == goal
    driver.submit(view, {**values, views.CHARTER_FIELDS["goal"]: goal + "!"}, user="UCARL")
    slack.wait_for("chat.update")
    assert len(slack.calls_to("pins.add")) == 1
    with database.session() as session:
        assert session.scalars(select(Charter)).one().goal == goal + "!"

    sweep(database, settings, after(14.5))
    message = poll_messages(slack)[0]
    assert "moving toward its goal" in text_of(message)
    assert "<!channel>" not in text_of(message, formatted_only=True)
    assert_block_kit_limits(message)

    driver.event({"type": "app_home_opened", "user": "UAINO", "channel": "D1", "tab": "home"})
    home = slack.wait_for("views.publish")[-1]["view"]
    assert "Our goal: A tool library &lt;!channel&gt; open by May!" in text_of(home)
    assert_block_kit_limits(home, surface="home")


def card_values(ends_on: date) -> dict[str, Any]:
    fields = views.EXPERIMENT_FIELDS
    return {
        fields["title"]: "Tool library in the Vaasa city library",
        fields["hypothesis"]: "People borrow tools instead of buying",
        fields["measure"]: "Loans per week",
        fields["target"]: "30",
        fields["who"]: "Library staff and the residents' association",
        fields["starts_on"]: (ends_on - timedelta(days=60)).isoformat(),
        fields["ends_on"]: ends_on.isoformat(),
        fields["costs"]: "2 000 €",
    }


def test_experiment_card_evaluation_result_and_report(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    tank_id, idea_id, conversation = setup_tank(database, slack)
    slack.add_user("UOUT", "outsider")
    goal = response_json(
        driver.command("/collider", "goal add Carbon neutral Vaasa 2030", user=FACILITATOR)
    )
    assert "Strategy goal #" in text_of(goal)
    move(driver, idea_id, "think_tank")
    move(driver, idea_id, "experiment")
    # The group is asked to fill in the card; everyone involved to evaluate the think tank stage.
    prompt = slack.wait_for("chat.postMessage", 1)
    with database.session() as session:
        experiment_id = session.scalars(select(Experiment.id)).one()
    invites = invites_sent(slack, 3)
    assert len(invites) == 3 and all(assert_block_kit_limits(c) is None for c in invites)
    assert any(c["channel"] == conversation for c in prompt + slack.calls_to("chat.postMessage"))

    assert "people of this experiment" in refused(
        driver, slack, views.EXPERIMENT_OPEN, str(experiment_id), "UOUT"
    )
    view = open_form(driver, slack, views.EXPERIMENT_OPEN, str(experiment_id), "UBEN")
    ends_on = date.today()
    bad = {**card_values(ends_on), views.EXPERIMENT_FIELDS["starts_on"]: "2099-01-01"}
    answer = response_json(driver.submit(view, bad, user="UBEN"))
    assert answer["response_action"] == "errors"
    assert views.EXPERIMENT_FIELDS["ends_on"] in answer["errors"]
    goal_id = text_of(goal).split("#", 1)[1].split(" ", 1)[0]
    card = {
        **card_values(ends_on),
        views.EXPERIMENT_FIELDS["strategy_goal_id"]: {"option": goal_id},
    }
    saved = response_json(driver.submit(view, card, user="UBEN"))
    assert saved["response_action"] == "update"

    evaluation_id = int(
        next(
            e["value"]
            for b in invites[0]["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
        )
    )
    assert "not sent to you" in refused(
        driver, slack, views.EVALUATION_OPEN, str(evaluation_id), "UOUT"
    )
    for user, rating in zip(MEMBERS, ("4", "5", "3"), strict=True):
        form = open_form(driver, slack, views.EVALUATION_OPEN, str(evaluation_id), user)
        fields = views.EVALUATION_FIELDS
        values = {
            fields["gave"]: "Contacts",
            fields["hard"]: "Time",
            fields["rating"]: {"option": rating},
        }
        assert response_json(driver.submit(form, values, user=user))["response_action"] == "update"
    with database.session() as session:
        answers = session.scalars(select(StageEvaluationAnswer)).all()
        ids_of_people = {str(p) for p in session.scalars(select(Participant.id))}
        assert sorted(a.rating for a in answers) == [3, 4, 5]
        assert not {a.respondent for a in answers} & ids_of_people
        assert session.scalar(select(func.count()).where(StageEvaluationInvite.answered)) == 3

    # At the end date the owners (the facilitator who moved it, and the group) are asked, once.
    out = outbound(settings, database, gateway(settings)).held_by("test")
    assert ask_due_results(out, ends_on) == 4
    assert ask_due_results(out, ends_on) == 0
    form = open_form(driver, slack, views.RESULT_OPEN, str(experiment_id), "UAINO")
    result = {
        views.RESULT_FIELDS["happened"]: "45 loans a week",
        views.RESULT_FIELDS["decision"]: {"option": "pilot"},
        views.RESULT_FIELDS["learned"]: "Opening hours matter",
    }
    assert response_json(driver.submit(form, result, user="UAINO"))["response_action"] == "update"
    with database.session() as session:
        assert session.get(Experiment, experiment_id).decision is Decision.PILOT

    listed = text_of(
        response_json(driver.command("/collider", "experiments experiment", user="UAINO"))
    )
    assert "Tool library in the Vaasa city library" in listed
    none = text_of(response_json(driver.command("/collider", "experiments adopted", user="UAINO")))
    assert "No experiment cards match" in none

    acked = text_of(
        response_json(driver.command("/collider", "report programme", user=FACILITATOR))
    )
    assert "Preparing the programme report" in acked
    [upload] = slack.wait_for("files.completeUploadExternal")
    report = next(c for c in slack.calls_to("chat.postMessage") if "Programme report" in text_of(c))
    shown = text_of(report)
    assert_block_kit_limits(report)
    assert "Ideas: *1*" in shown
    assert "Think tanks: *1*, of which *1* crossed" in shown
    assert "Experiments started: *1* · finished: *1* (Pilot 1" in shown
    assert "Think tank: 4.0 (3 answers)" in shown
    assert "Unique participants: *4*" in shown  # the group and the facilitator
    assert (
        "Carbon neutral Vaasa 2030: ideas and needs 0, experiments started 1, finished 1" in shown
    )
    assert "programme" in json.dumps(upload).lower()
    refusal = text_of(response_json(driver.command("/collider", "report programme", user="UAINO")))
    assert "only facilitators" in refusal


def test_fewer_than_three_answers_show_no_rating(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    _, idea_id, _ = setup_tank(database, slack)
    move(driver, idea_id, "think_tank")
    move(driver, idea_id, "stopped")
    invites = invites_sent(slack, 3)
    evaluation_id = next(
        e["value"] for b in invites[0]["blocks"] if b["type"] == "actions" for e in b["elements"]
    )
    for user in MEMBERS[:2]:
        form = open_form(driver, slack, views.EVALUATION_OPEN, evaluation_id, user)
        driver.submit(form, {views.EVALUATION_FIELDS["rating"]: {"option": "5"}}, user=user)
    driver.command("/collider", "report programme", user=FACILITATOR)
    slack.wait_for("files.completeUploadExternal")
    report = next(c for c in slack.calls_to("chat.postMessage") if "Programme report" in text_of(c))
    assert "No stage evaluation has three answers" in text_of(report)
    assert "(2 answers)" not in text_of(report)


@pytest.mark.parametrize(
    "text", ["programme 2026-13-01", "programme 2026-05-01 2026-01-01", "programme a b c"]
)
def test_bad_report_dates_get_usage(driver: SlackDriver, text: str) -> None:
    shown = text_of(response_json(driver.command("/collider", f"report {text}", user=FACILITATOR)))
    assert "/collider report programme [FROM] [TO]" in shown


def test_strategy_goals_are_kept_by_facilitators(driver: SlackDriver) -> None:
    added = text_of(
        response_json(driver.command("/collider", "goal add <!here> Wellbeing", user=FACILITATOR))
    )
    assert "&lt;!here&gt;" in added and "<!here>" not in added.split("\n")[0][5:]
    listed = text_of(response_json(driver.command("/collider", "goal list", user=FACILITATOR)))
    goal_id = listed.split("#", 1)[1].split(" ", 1)[0]
    driver.command("/collider", f"goal remove {goal_id}", user=FACILITATOR)
    listed = text_of(response_json(driver.command("/collider", "goal list", user=FACILITATOR)))
    assert "No strategy goals yet" in listed
    refusal = text_of(response_json(driver.command("/collider", "goal add X", user="U001")))
    assert "only facilitators" in refusal
    missing = text_of(
        response_json(driver.command("/collider", "goal remove 999", user=FACILITATOR))
    )
    assert "no strategy goal #999" in missing
