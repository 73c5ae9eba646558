"""People who are not in Slack (imported authors): matched on request, never sent to Slack,
and their ideas claimed by the member with the same e-mail after a confirming click."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.local.slack import TEAM_ID, LocalSlack
from bot.scheduling import outbound
from bot.settings import Settings
from handlers import ids
from models import Idea, IdeaStage, Participant, RoundStatus, ThinkTankMember
from models.db import Database
from services.pipeline_workflow import tell_author
from tests.handlers.test_rounds import (
    FACILITATOR,
    button,
    form_values,
    open_match_form,
    wait_for_round,
    wait_for_text,
)
from tests.slack_driver import SlackDriver, response_json, text_of

FIXTURES = Path(__file__).parent / "fixtures" / "importing"
# Three Slack members who write about bicycles, like the imported proposals.
MEMBERS = [
    ("U201", "Pyöräparkki ja katettu pyöräpaikoitus rautatieasemalle"),
    ("U202", "Kaupunkipyöräasemia lähiöihin ja pyöräparkki asemalle"),
    ("U203", "Turvallinen koulutie pyörällä: pyörätie koulujen ympärille"),
]


@pytest.fixture
def imported(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", database.url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    csv_file = str(FIXTURES / "decidim_0_28_proposals.csv")
    assert main(["import", "ideas", csv_file, "--team", TEAM_ID]) == 0


def offline_ids(database: Database) -> set[str]:
    with database.session() as session:
        return set(
            session.scalars(select(Participant.user_id).where(Participant.is_offline.is_(True)))
        )


def test_offline_people_are_kept_out_of_every_slack_call(
    imported: None, driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    slack.add_user(FACILITATOR, "fasi")
    for user, text in MEMBERS:
        slack.add_user(user, user.lower())
        driver.command("/idea", text, user=user)
    values = {**form_values(min_size=3, max_size=4, diversity=0)}
    values[ids.MATCH_FIELDS["options"]] = {"options": ["include_offline"]}
    answer = driver.submit(open_match_form(driver), values, user=FACILITATOR)
    assert response_json(answer)["response_action"] == "update"
    preview = slack.wait_for("chat.postMessage")[-1]
    shown = text_of(preview)
    assert "ei Slackissa" in shown or "not in Slack: invite them yourself" in shown
    assert "offline-" not in json.dumps(preview)
    driver.click(ids.ROUND_CONFIRM, button(preview, ids.ROUND_CONFIRM)["value"], user=FACILITATOR)
    round_ = wait_for_round(database, RoundStatus.COMPLETED)
    summary = wait_for_text(slack, "invite them yourself")
    assert "offline-" not in json.dumps(summary)
    with database.session() as session:
        placed = session.scalars(
            select(Participant)
            .join(ThinkTankMember, ThinkTankMember.participant_id == Participant.id)
            .where(ThinkTankMember.round_id == round_.id, Participant.is_offline.is_(True))
        ).all()
    assert placed, "the facilitator asked for people who are not in Slack"
    made_up = offline_ids(database)
    every_call = json.dumps([[call.method, call.params] for call in slack.calls])
    assert not any(user_id in every_call for user_id in made_up)
    assert "offline-" not in every_call


def test_without_the_option_offline_people_are_not_placed(
    imported: None, driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    slack.add_user(FACILITATOR, "fasi")
    for user, text in MEMBERS:
        slack.add_user(user, user.lower())
        driver.command("/idea", text, user=user)
    driver.submit(
        open_match_form(driver), form_values(min_size=3, max_size=3, diversity=0), user=FACILITATOR
    )
    preview = slack.wait_for("chat.postMessage")[-1]
    assert "3 people in 1 group" in text_of(preview)


def test_similar_ideas_include_imported_ones_without_messaging_their_authors(
    imported: None, driver: SlackDriver, slack: LocalSlack
) -> None:
    slack.add_user("U301", "u301")
    driver.command("/idea", "Katettu pyöräparkki rautatieasemalle ja pyöräpaikoitus", user="U301")
    [suggestion] = slack.wait_for("response_url")
    assert "Pyöräparkki asemalle" in text_of(suggestion)
    assert "offline-" not in json.dumps(suggestion)
    join = next(
        element
        for block in suggestion["blocks"]
        for element in block.get("elements", [])
        if element.get("action_id") == ids.SIMILAR_JOIN
    )
    driver.click(ids.SIMILAR_JOIN, join["value"], user="U301")
    assert "co-author" in text_of(slack.wait_for("response_url", count=2)[-1])
    assert slack.calls_to("chat.postMessage") == []  # the imported author is not told in Slack


def test_a_stage_move_of_an_imported_idea_messages_nobody(
    imported: None, driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    with database.session() as session:
        idea_id = session.scalars(
            select(Idea.id).join(Idea.author).where(Participant.is_offline.is_(True))
        ).first()
    driver.submit(
        driver.command_view("/collider", f"stage {idea_id}", user=FACILITATOR),
        {ids.STAGE_FIELDS["stage"]: {"option": "pilot"}},
        user=FACILITATOR,
    )
    with database.session() as session:
        change_id = session.scalars(select(IdeaStage.id).where(IdeaStage.idea_id == idea_id)).one()
    assert tell_author(outbound(settings, database), change_id) is None
    every_call = json.dumps([[call.method, call.params] for call in slack.calls])
    assert "offline-" not in every_call


def test_a_slack_member_with_the_same_email_claims_the_ideas(
    database: Database,
    driver: SlackDriver,
    slack: LocalSlack,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    monkeypatch.chdir(tmp_path)
    slack.add_user("U401", "liisa", email="Liisa.Virtanen@example.org")
    slack.add_user("U402", "mallory")
    assert main(["import", "ideas", str(FIXTURES / "forms_excel_fi.csv")]) == 0
    assert [call["email"] for call in slack.calls_to("users.lookupByEmail")] == [
        "liisa.virtanen@example.org"
    ]
    [offer] = [call for call in slack.calls_to("chat.postMessage") if call["channel"] == "U401"]
    value = button(offer, ids.CLAIM_IDEAS)["value"]
    assert "Kirjasto voisi lainata" in text_of(offer) or "Kirjasto" in text_of(offer)

    driver.click(ids.CLAIM_IDEAS, value, user="U402")  # someone else cannot take them
    assert "someone else" in text_of(driver.click_replies()[-1])
    driver.click(ids.CLAIM_IDEAS, value, user="U401")
    assert "now yours" in text_of(driver.click_replies(count=2)[-1])
    with database.session() as session:
        idea = session.scalars(select(Idea).where(Idea.body.like("Kirjasto voisi%"))).one()
        author = session.get(Participant, idea.author_id)
        assert (author.user_id, author.is_offline) == ("U401", False)
    listing = text_of(response_json(driver.command("/ideas", "kirjasto", user="U401")))
    assert "<@U401>" in listing
    # A second run offers nothing again.
    assert main(["import", "ideas", str(FIXTURES / "forms_excel_fi.csv")]) == 0
    assert len(slack.calls_to("users.lookupByEmail")) == 1
