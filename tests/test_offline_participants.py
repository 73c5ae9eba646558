"""People who are not in Slack (imported authors): matched on request, never sent to Slack,
and their ideas claimed by the member with the same e-mail after a confirming click."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from bot.cli import main
from bot.local.console import WatchedExecutor, WatchedPools
from bot.local.slack import TEAM_ID, LocalSlack
from bot.scheduling import outbound
from bot.settings import Settings
from handlers import ids
from i18n import t
from models import Idea, IdeaStage, Participant, RoundStatus, ScheduledSend, ThinkTankMember
from models.db import Database
from services.pipeline_workflow import tell_author
from tests.conftest import SIGNING_SECRET, local_app
from tests.handlers.test_rounds import (
    FACILITATOR,
    button,
    form_values,
    open_match_form,
    wait_for_round,
    wait_for_text,
)
from tests.slack_driver import SlackDriver, finished, response_json, text_of

FIXTURES = Path(__file__).parent / "fixtures" / "importing"
# Three Slack members who write about bicycles, like the imported proposals.
MEMBERS = [
    ("U201", "Pyöräparkki ja katettu pyöräpaikoitus rautatieasemalle"),
    ("U202", "Kaupunkipyöräasemia lähiöihin ja pyöräparkki asemalle"),
    ("U203", "Turvallinen koulutie pyörällä: pyörätie koulujen ympärille"),
]


def import_without_slack(
    name: str, database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Import a fixture without a token: nobody is looked up in Slack or offered anything."""
    monkeypatch.setenv("DATABASE_URL", database.url)
    for variable in ("SLACK_BOT_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["import", "ideas", str(FIXTURES / name), "--team", TEAM_ID]) == 0


@pytest.fixture
def imported(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import_without_slack("decidim_0_30_proposals.csv", database, monkeypatch, tmp_path)


@pytest.fixture
def imported_forms(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import_without_slack("forms_excel_fi.csv", database, monkeypatch, tmp_path)


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
    introduced = introduced_offline(database, round_.id)
    assert introduced, "a think tank with someone not in Slack was introduced"
    intro_texts = [text_of(call) for call in intros(slack)]
    for name, language in introduced:
        # The intro names them, with what the others must do: they cannot be in the group DM.
        label = f"{name or t('importing.anonymous', language)} _({t('importing.not_in_slack', language)})_"
        assert any(label in text for text in intro_texts), (label, intro_texts)
    # App Home: a member of a group with someone who is not in Slack sees them by name.
    member = member_beside_offline(database, round_.id)
    driver.event({"type": "app_home_opened", "user": member, "channel": "D1", "tab": "home"})
    home = text_of(slack.wait_for("views.publish")[-1]["view"])
    assert any(f"{person.display_name} _(" in home for person in placed)
    assert_offline_ids_never_reached_slack(database, slack)


def intros(slack: LocalSlack) -> list[dict]:
    return [
        call
        for call in slack.calls_to("chat.postMessage")
        if "collider-intro" in json.dumps(call.get("metadata") or {})
    ]


def introduced_offline(database: Database, round_id: int) -> list[tuple[str | None, str]]:
    """The name and the intro's language of each offline member of an introduced think tank."""
    with database.session() as session:
        members = session.scalars(
            select(ThinkTankMember).where(ThinkTankMember.round_id == round_id)
        ).all()
        return [
            (m.participant.display_name, m.think_tank.language or "en")
            for m in members
            if m.participant.is_offline and m.think_tank.intro_state.value == "done"
        ]


def member_beside_offline(database: Database, round_id: int) -> str:
    """A Slack member of a think tank that also holds someone who is not in Slack."""
    with database.session() as session:
        members = session.scalars(
            select(ThinkTankMember).where(ThinkTankMember.round_id == round_id)
        ).all()
        tanks = {m.think_tank_id for m in members if m.participant.is_offline}
        return next(
            m.participant.user_id
            for m in members
            if m.think_tank_id in tanks and not m.participant.is_offline
        )


def assert_offline_ids_never_reached_slack(database: Database, slack: LocalSlack) -> None:
    """No call to the local Slack, of any method, carried a made-up id of an imported person."""
    made_up = offline_ids(database)
    every_call = json.dumps([[call.method, call.params] for call in slack.calls])
    assert not any(user_id in every_call for user_id in made_up)
    assert "offline-" not in every_call


def test_preview_warnings_name_offline_people_instead_of_mentioning_them(
    imported: None, database: Database
) -> None:
    """An engine warning about someone not in Slack names them: a ``<@offline-…>`` would be a
    broken mention of an id Slack never had."""
    from handlers.round_blocks import preview_message
    from services import matchmaking
    from services.participants import SlackUser

    with database.session() as session:
        facilitator = SlackUser(TEAM_ID, FACILITATOR)
        settings = matchmaking.RoundSettings(
            min_size=3, max_size=4, min_distinct=0, include_offline=True
        )
        round_ = matchmaking.create_preview(session, facilitator, settings)
        offline = next(
            member.participant
            for tank in round_.think_tanks
            for member in tank.members
            if member.participant.is_offline and member.participant.display_name
        )
        round_.issues = [{"code": "no_text", "participants": [offline.id], "params": {}}]
        shown = json.dumps(preview_message(round_, "en"), ensure_ascii=False)
    assert f"No text from {offline.display_name} _(not in Slack" in shown
    assert "offline-" not in shown and "<@" not in shown


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
    [offer] = offers_to(slack, "U401")
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
    assert_offline_ids_never_reached_slack(database, slack)


def offers_to(slack: LocalSlack, user: str) -> list[dict]:
    """The offers of imported ideas posted in the bot's DM with ``user``."""
    return [
        call
        for call in slack.calls_to("chat.postMessage")
        if call["channel"] == slack.dm_channel(user)
        and ids.CLAIM_IDEAS in json.dumps(call.get("blocks"))
    ]


@pytest.fixture
def watched(
    settings: Settings, database: Database, slack: LocalSlack
) -> Iterator[tuple[SlackDriver, WatchedPools]]:
    """The real app with pools that say when the work after each ack has finished."""
    pools = WatchedPools(WatchedExecutor(8), WatchedExecutor(4))
    app = local_app(settings, database, *pools.pools)
    yield SlackDriver(app, slack, SIGNING_SECRET), pools
    pools.shutdown(wait=True)


def joined(slack: LocalSlack, user: str) -> dict:
    """The ``team_join`` event Slack sends when ``user`` joins the workspace."""
    return {"type": "team_join", "user": slack.user_object(user), "event_ts": "1700000000.1"}


def join(watched: tuple[SlackDriver, WatchedPools], *events: dict) -> None:
    """Slack delivers these ``team_join`` events; returns once the work after each is done."""
    driver, pools = watched
    for event in events:
        assert driver.event(event).status == 200
    finished(pools)


def test_someone_who_joins_with_an_imported_email_is_offered_the_ideas_once(
    imported_forms: None,
    watched: tuple[SlackDriver, WatchedPools],
    database: Database,
    slack: LocalSlack,
) -> None:
    """A signed ``team_join`` → one DM offer → confirm → the ideas are the member's. Slack's
    retry of the event, a replayed copy, and a copy after the claim offer nothing again."""
    driver, pools = watched
    slack.add_user("U501", "liisa", email="Liisa.Virtanen@Example.org")
    event = joined(slack, "U501")
    assert driver.event(event, event_id="EvJOIN501").status == 200
    finished(pools)
    [offer] = offers_to(slack, "U501")
    assert "Kirjasto voisi lainata" in text_of(offer)
    assert slack.calls_to("users.lookupByEmail") == []  # the event said who it is
    driver.event(event, event_id="EvJOIN501", retry=1)  # Slack's retry
    driver.event(event)  # or a replaying proxy's copy
    finished(pools)
    assert len(offers_to(slack, "U501")) == 1

    driver.click(ids.CLAIM_IDEAS, button(offer, ids.CLAIM_IDEAS)["value"], user="U501")
    assert "now yours" in text_of(driver.click_replies()[-1])
    driver.click(ids.CLAIM_IDEAS, button(offer, ids.CLAIM_IDEAS)["value"], user="U501")
    assert "already been taken over" in text_of(driver.click_replies(count=2)[-1])
    with database.session() as session:
        idea = session.scalars(select(Idea).where(Idea.body.like("Kirjasto voisi%"))).one()
        author = session.get(Participant, idea.author_id)
        assert (author.user_id, author.is_offline) == ("U501", False)
    join(watched, event)
    assert len(offers_to(slack, "U501")) == 1
    assert_offline_ids_never_reached_slack(database, slack)


def test_the_email_comes_from_the_profile_when_the_event_has_none(
    imported_forms: None,
    watched: tuple[SlackDriver, WatchedPools],
    database: Database,
    slack: LocalSlack,
) -> None:
    slack.add_user("U502", "liisa", email="liisa.virtanen@example.org")
    event = joined(slack, "U502")
    del event["user"]["profile"]["email"]
    join(watched, event)
    assert [call["user"] for call in slack.calls_to("users.info")][:1] == ["U502"]
    assert len(offers_to(slack, "U502")) == 1


def test_someone_who_joins_without_a_matching_email_gets_nothing(
    imported_forms: None,
    watched: tuple[SlackDriver, WatchedPools],
    slack: LocalSlack,
) -> None:
    slack.add_user("U503", "newcomer", email="someone.else@example.org")
    slack.add_user("UBOT", "a bot", email="liisa.virtanen@example.org", is_bot=True)
    join(watched, joined(slack, "U503"), joined(slack, "UBOT"))
    assert slack.calls_to("chat.postMessage") == []
    assert slack.calls_to("conversations.open") == []


def test_a_declined_offer_is_not_made_again(
    imported_forms: None,
    watched: tuple[SlackDriver, WatchedPools],
    database: Database,
    slack: LocalSlack,
) -> None:
    driver, _ = watched
    slack.add_user("U504", "liisa", email="liisa.virtanen@example.org")
    join(watched, joined(slack, "U504"))
    [offer] = offers_to(slack, "U504")
    driver.click(ids.CLAIM_DECLINE, button(offer, ids.CLAIM_DECLINE)["value"], user="U504")
    assert "will not be asked again" in text_of(driver.click_replies()[-1])
    with database.session() as session:
        idea = session.scalars(select(Idea).where(Idea.body.like("Kirjasto voisi%"))).one()
        author = session.get(Participant, idea.author_id)
        assert (author.is_offline, author.claim_declined_by) == (True, "U504")
    # Even without the record of the offer sent, the decline alone keeps it from coming back.
    with database.session() as session:
        session.execute(delete(ScheduledSend))
    join(watched, joined(slack, "U504"))
    assert len(offers_to(slack, "U504")) == 1
    # Nor can the old button take them any more.
    driver.click(ids.CLAIM_IDEAS, button(offer, ids.CLAIM_IDEAS)["value"], user="U504")
    assert "already been taken over" in text_of(driver.click_replies(count=2)[-1])
