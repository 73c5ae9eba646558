"""Sharing ideas and needs end to end: signed requests in, database and local Slack out."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.local.slack import LocalSlack
from handlers import ids
from models import Idea, IdeaKind, IdeaStatus, Participant, ProfileRole
from models.db import Database
from tests.slack_driver import SlackDriver, response_json, text_of


def stored_ideas(database: Database) -> list[Idea]:
    with database.session() as session:
        return list(session.scalars(select(Idea).order_by(Idea.id)))


def test_idea_command_stores_and_confirms(driver: SlackDriver, database: Database) -> None:
    response = driver.command("/idea", "Tool library for residents\nLend drills and ladders.")
    assert response.status == 200
    answer = response_json(response)
    assert "Tool library for residents" in text_of(answer)
    [idea] = stored_ideas(database)
    assert idea.kind is IdeaKind.IDEA
    assert idea.title == "Tool library for residents"
    assert idea.body == "Tool library for residents\nLend drills and ladders."
    with database.session() as session:
        participant = session.scalars(select(Participant)).one()
        assert (participant.user_id, participant.display_name) == ("U001", "u001")


def test_need_command_stores_a_need(driver: SlackDriver, database: Database) -> None:
    driver.command("/need", "We need volunteers for the winter market")
    [idea] = stored_ideas(database)
    assert idea.kind is IdeaKind.NEED


@pytest.mark.parametrize("text", ["   ", "\u200b", " \t "])
def test_blank_text_is_refused_and_nothing_stored(
    driver: SlackDriver, database: Database, text: str
) -> None:
    answer = response_json(driver.command("/idea", text))
    assert "cannot be empty" in text_of(answer)
    assert stored_ideas(database) == []


def test_too_long_text_is_refused_with_the_limit(driver: SlackDriver, database: Database) -> None:
    answer = response_json(driver.command("/idea", "x" * 3001))
    shown = text_of(answer)
    assert "3001" in shown and "3000" in shown
    assert stored_ideas(database) == []


def test_text_of_exactly_the_limit_is_accepted(driver: SlackDriver, database: Database) -> None:
    driver.command("/idea", "y" * 3000)
    [idea] = stored_ideas(database)
    assert len(idea.body) == 3000


def test_echoed_text_cannot_ping_or_link(driver: SlackDriver) -> None:
    answer = response_json(
        driver.command("/idea", "Hey <!channel> and <@U123>, see <https://x.example|y>")
    )
    shown = text_of(answer, formatted_only=True)
    for raw in ("<!channel>", "<@U123>", "<https://x.example|y>"):
        assert raw not in shown
    assert "&lt;!channel&gt;" in shown


@pytest.mark.parametrize(
    "text",
    [
        "Pyöräkorjaamo Hämeenkadulle 🚲",
        "Återbruk på Åbo torg – ÄÖÅ äöå",
        "مرحبا بالعالم שלום",
        "e\u0301 NFD",
    ],
)
def test_unicode_round_trips_unchanged(driver: SlackDriver, database: Database, text: str) -> None:
    driver.command("/idea", text)
    [idea] = stored_ideas(database)
    assert idea.body == text


def test_retried_command_is_stored_once(driver: SlackDriver, database: Database) -> None:
    body = driver.command_body("/idea", "Shared sauna for the block", trigger_id="123.456.abc")
    first = driver.send(body)
    again = driver.send(
        body, headers={"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}
    )
    assert first.status == again.status == 200
    assert "Already saved" in text_of(response_json(again))
    assert len(stored_ideas(database)) == 1


def test_bad_signature_is_rejected_and_nothing_stored(
    driver: SlackDriver, database: Database
) -> None:
    body = driver.command_body("/idea", "Sneaky idea")
    forged = SlackDriver(driver.app, driver.slack, "not-the-secret")
    assert forged.send(body).status == 401
    assert stored_ideas(database) == []


def test_stale_signature_is_rejected(driver: SlackDriver, database: Database) -> None:
    import time

    body = driver.command_body("/idea", "Old idea")
    assert driver.send(body, timestamp=int(time.time()) - 301).status == 401
    assert stored_ideas(database) == []


def test_idea_without_text_opens_a_modal_and_submission_stores(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    assert driver.command("/idea", "").status == 200
    view = driver.last_opened_view()
    assert view["callback_id"] == ids.IDEA_MODAL
    response = driver.submit(
        view,
        {
            ids.IDEA_FIELDS["kind"]: {"option": "need"},
            ids.IDEA_FIELDS["title"]: "Meeting rooms",
            ids.IDEA_FIELDS["body"]: "Free rooms for resident groups in the evenings",
            ids.IDEA_FIELDS["theme"]: {"option": "label:Living together"},
        },
    )
    assert response.status == 200 and response_json(response) == {}
    [idea] = stored_ideas(database)
    assert (idea.kind, idea.title, idea.theme) == (
        IdeaKind.NEED,
        "Meeting rooms",
        "Living together",
    )
    [confirmation] = slack.wait_for("chat.postEphemeral")
    assert confirmation["user"] == "U001" and confirmation["channel"] == "C001"


def test_modal_with_empty_description_shows_the_error_in_place(
    driver: SlackDriver, database: Database
) -> None:
    driver.command("/idea", "")
    answer = response_json(
        driver.submit(driver.last_opened_view(), {ids.IDEA_FIELDS["body"]: "   "})
    )
    assert answer["response_action"] == "errors"
    assert ids.IDEA_FIELDS["body"] in answer["errors"]
    assert stored_ideas(database) == []


def test_double_submitted_modal_stores_once(driver: SlackDriver, database: Database) -> None:
    driver.command("/need", "")
    view = driver.last_opened_view()
    values = {ids.IDEA_FIELDS["body"]: "A place to test prototypes"}
    driver.submit(view, values, view_id="V0DOUBLE")
    driver.submit(view, values, view_id="V0DOUBLE")
    assert len(stored_ideas(database)) == 1


def test_modal_that_cannot_open_is_reported(driver: SlackDriver, slack: LocalSlack) -> None:
    slack.fail("views.open", error="expired_trigger_id")
    driver.command("/idea", "")
    [reply] = slack.wait_for("response_url")
    assert "could not open the form" in text_of(reply)


def test_confirmation_falls_back_to_a_dm_and_survives_slack_failures(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    driver.command("/idea", "")
    view = driver.last_opened_view()
    slack.fail("chat.postEphemeral", error="channel_not_found")
    slack.fail("chat.postMessage", status=500, times=1)
    driver.submit(view, {ids.IDEA_FIELDS["body"]: "Kept even if Slack hiccups"})
    assert len(stored_ideas(database)) == 1
    posted = slack.wait_for("chat.postMessage", count=2)  # the 500, then the retry
    [opened] = slack.calls_to("conversations.open")
    assert opened["users"] == "U001" and posted[-1]["channel"] == slack.dm_channel("U001")


def test_rate_limited_modal_open_is_retried(driver: SlackDriver, slack: LocalSlack) -> None:
    slack.fail("views.open", status=429, retry_after=1)
    driver.command("/idea", "")
    assert len(slack.wait_for("views.open", count=2)) == 2
    assert slack.calls_to("response_url") == []


def test_author_edits_own_idea(driver: SlackDriver, database: Database) -> None:
    driver.command("/idea", "First draft")
    [idea] = stored_ideas(database)
    driver.click(ids.EDIT_IDEA, str(idea.id))
    view = driver.last_opened_view()
    assert "First draft" in str(view)
    driver.submit(
        view, {ids.IDEA_FIELDS["body"]: "Second draft", ids.IDEA_FIELDS["kind"]: {"option": "idea"}}
    )
    [idea] = stored_ideas(database)
    assert idea.body == "Second draft"


def test_others_cannot_edit_or_withdraw(
    driver: SlackDriver, database: Database, slack: LocalSlack, caplog: pytest.LogCaptureFixture
) -> None:
    driver.command("/idea", "Mine", user="U001")
    [idea] = stored_ideas(database)
    driver.click(ids.WITHDRAW_IDEA, str(idea.id), user="U999")
    driver.click(ids.EDIT_IDEA, str(idea.id), user="U999")
    replies = slack.wait_for("response_url", count=2)
    assert all("Only the author" in text_of(reply) for reply in replies)
    assert slack.calls_to("views.open") == []
    [idea] = stored_ideas(database)
    assert idea.status is IdeaStatus.OPEN
    assert "refused" in caplog.text


def test_crafted_edit_submission_for_someone_elses_idea_is_refused(
    driver: SlackDriver, database: Database
) -> None:
    driver.command("/idea", "Mine", user="U001")
    [idea] = stored_ideas(database)
    driver.click(ids.EDIT_IDEA, str(idea.id), user="U001")
    view = driver.last_opened_view()
    answer = response_json(driver.submit(view, {ids.IDEA_FIELDS["body"]: "Hijacked"}, user="U999"))
    assert answer["response_action"] == "errors"
    [idea] = stored_ideas(database)
    assert idea.body == "Mine"


def test_author_withdraws_own_idea(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    driver.command("/idea", "Short-lived")
    [idea] = stored_ideas(database)
    driver.click(ids.WITHDRAW_IDEA, str(idea.id))
    [reply] = slack.wait_for("response_url")
    assert "Withdrawn" in text_of(reply)
    [idea] = stored_ideas(database)
    assert idea.status is IdeaStatus.WITHDRAWN
    listing = text_of(response_json(driver.command("/ideas")))
    assert "Short-lived" not in listing


def test_ideas_lists_newest_first_and_pages(driver: SlackDriver, slack: LocalSlack) -> None:
    for number in range(7):
        driver.command("/idea", f"Idea number {number}", user=f"U00{number}")
    first = text_of(response_json(driver.command("/ideas")))
    assert first.index("Idea number 6") < first.index("Idea number 2")
    assert "Idea number 1" not in first and "Page 1 of 2" in first
    driver.click(ids.IDEAS_PAGE, '{"q": "", "p": 2}')
    [second] = driver.click_replies()
    assert second["replace_original"] is True
    assert "Idea number 1" in text_of(second) and "Idea number 0" in text_of(second)


def test_ideas_search_matches_every_word_case_insensitively(driver: SlackDriver) -> None:
    driver.command("/idea", "Älykäs KATUVALAISTUS Vaasaan")
    driver.command("/idea", "Katuvalaistus ja liikenne")
    driver.command("/idea", "Something else")
    found = text_of(response_json(driver.command("/ideas", "katuvalaistus äLYKÄS")))
    assert "Vaasaan" in found and "liikenne" not in found and "Something" not in found
    none = text_of(response_json(driver.command("/ideas", "100%_nothing")))
    assert "Nothing matches" in none


def test_collider_help_and_unknown_subcommand(driver: SlackDriver) -> None:
    help_text = text_of(response_json(driver.command("/collider", "help")))
    assert "/idea" in help_text and "/ideas" in help_text
    unknown = text_of(response_json(driver.command("/collider", "frobnicate <!here>")))
    assert "frobnicate" in unknown and "/idea" in unknown and "<!here>" not in unknown


def test_profile_modal_saves_organisation_and_language(
    driver: SlackDriver, database: Database
) -> None:
    driver.command("/collider", "profile")
    view = driver.last_opened_view()
    answer = response_json(
        driver.submit(
            view,
            {
                ids.PROFILE_FIELDS["organisation"]: "Vaasan kaupunki",
                ids.PROFILE_FIELDS["organisation_type"]: {"option": "city"},
                ids.PROFILE_FIELDS["language"]: {"option": "fi"},
            },
        )
    )
    assert "tallennettu" in text_of(answer["view"])
    with database.session() as session:
        participant = session.scalars(select(Participant)).one()
        assert participant.organisation == "Vaasan kaupunki"
        assert participant.organisation_type.value == "city"
        assert participant.language == "fi"
    finnish = text_of(response_json(driver.command("/idea", "Kirjasto")))
    assert "tallennettu" in finnish


def test_the_profile_form_keeps_the_role_the_programme_report_splits_by(
    driver: SlackDriver, database: Database
) -> None:
    driver.command("/collider", "profile")
    view = driver.last_opened_view()
    roles = next(b for b in view["blocks"] if b.get("block_id") == ids.PROFILE_FIELDS["role"])
    assert [o["value"] for o in roles["element"]["options"]] == [
        "student", "official", "councillor", "other",
    ]  # fmt: skip
    fields = {ids.PROFILE_FIELDS["role"]: {"option": "councillor"}}
    assert response_json(driver.submit(view, fields))["response_action"] == "update"
    with database.session() as session:
        assert session.scalar(select(Participant.role)) is ProfileRole.COUNCILLOR
    driver.command("/collider", "profile")
    reopened = driver.last_opened_view()
    roles = next(b for b in reopened["blocks"] if b.get("block_id") == ids.PROFILE_FIELDS["role"])
    assert roles["element"]["initial_option"]["value"] == "councillor"
    crafted = response_json(
        driver.submit(reopened, {ids.PROFILE_FIELDS["role"]: {"option": "mayor"}})
    )
    assert crafted["response_action"] == "errors"
    assert ids.PROFILE_FIELDS["role"] in crafted["errors"]
    with database.session() as session:
        assert session.scalar(select(Participant.role)) is ProfileRole.COUNCILLOR


def test_crafted_profile_with_unknown_choice_is_refused(
    driver: SlackDriver, database: Database
) -> None:
    driver.command("/collider", "profile")
    answer = response_json(
        driver.submit(
            driver.last_opened_view(),
            {ids.PROFILE_FIELDS["organisation_type"]: {"option": "pirate"}},
        )
    )
    assert answer["response_action"] == "errors"
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Participant)) in (0, 1)
        assert session.scalar(select(Participant.organisation_type)) is None


def test_modal_description_of_only_invisible_characters_is_empty(
    driver: SlackDriver, database: Database
) -> None:
    driver.command("/idea", "")
    answer = response_json(
        driver.submit(driver.last_opened_view(), {ids.IDEA_FIELDS["body"]: "\u200b \u2060"})
    )
    assert answer["response_action"] == "errors"
    assert stored_ideas(database) == []


def test_old_request_keys_are_forgotten_and_recent_ones_kept(database: Database) -> None:
    from datetime import timedelta

    from models import HandledRequest
    from models.base import utcnow
    from models.queries import forget_handled_requests

    with database.session() as session:
        session.add(HandledRequest(key="old", created_at=utcnow() - timedelta(days=8)))
        session.add(HandledRequest(key="recent", created_at=utcnow() - timedelta(days=1)))
    with database.session() as session:
        assert forget_handled_requests(session, utcnow() - timedelta(days=7)) == 1
        assert session.scalars(select(HandledRequest.key)).all() == ["recent"]
