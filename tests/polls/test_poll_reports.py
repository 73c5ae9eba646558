"""Facilitators' side of polls: templates, ad hoc sends, reports with a chart, the CSV export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.local.slack import LocalSlack
from bot.settings import Settings
from handlers import ids
from models import PollAnswer
from models.db import Database
from tests.polls.world import (
    FACILITATOR,
    after,
    answer_button,
    buttons,
    dm_of,
    make_round,
    poll_messages,
    sweep,
)
from tests.slack_driver import SlackDriver, response_json, text_of


def click(driver: SlackDriver, slack: LocalSlack, user: str, question: str, value: str) -> None:
    message = [m for m in poll_messages(slack) if m["channel"] == dm_of(slack, user)][-1]
    button = answer_button(message, question, value)
    before = len(slack.calls_to("response_url"))
    driver.click(
        button["action_id"], button["value"], user=user, message=message, channel=message["channel"]
    )
    slack.wait_for("response_url", before + 1)


def write(driver: SlackDriver, slack: LocalSlack, user: str, texts: dict[str, str]) -> dict:
    message = [m for m in poll_messages(slack) if m["channel"] == dm_of(slack, user)][-1]
    button = next(b for b in buttons(message) if b["action_id"] == ids.POLL_WRITE)
    opened = len(slack.calls_to("views.open"))
    driver.click(ids.POLL_WRITE, button["value"], user=user, message=message)
    view = slack.wait_for("views.open", opened + 1)[-1]["view"]
    values = {f"{ids.POLL_TEXT_PREFIX}{key}": text for key, text in texts.items()}
    return response_json(driver.submit(view, values, user=user))


def test_report_hides_small_groups_everywhere_and_uploads_a_chart(
    driver: SlackDriver, database: Database, slack: LocalSlack, settings: Settings
) -> None:
    round_id, (big, small) = make_round(
        database, slack, [["U301", "U302", "U303"], ["U304", "U305"]]
    )
    assert sweep(database, settings, after(14)).sent == 5
    for user, value in (("U301", "4"), ("U302", "5"), ("U303", "3"), ("U304", "1"), ("U305", "1")):
        click(driver, slack, user, "useful", value)
        click(driver, slack, user, "met", "0")
    answer = write(driver, slack, "U301", {"helped": "Meeting at the library <!channel>"})
    assert answer["response_action"] == "update"
    write(driver, slack, "U304", {"hard": "Only two of us came"})
    redrawn = [c for c in slack.wait_for("chat.update", 2) if c["channel"] == dm_of(slack, "U301")]
    assert "Meeting at the library" in text_of(redrawn[-1])

    refused = response_json(driver.command("/collider", f"report round {round_id}", user="U301"))
    assert "only facilitators" in text_of(refused)

    ack = response_json(driver.command("/collider", f"report round {round_id}", user=FACILITATOR))
    assert "direct messages" in text_of(ack)
    completed = slack.wait_for("files.completeUploadExternal")[-1]
    (file_id,) = [entry["id"] for entry in completed["files"]]
    assert slack.uploads[file_id].startswith(b"\x89PNG")
    assert completed["channel_id"] == dm_of(slack, FACILITATOR)
    report = next(
        call
        for call in slack.calls_to("chat.postMessage")
        if call["channel"] == dm_of(slack, FACILITATOR) and "Poll report" in text_of(call)
    )
    shown = text_of(report)
    assert f"think tank 1 (#{big})* (3 answers)" in shown
    assert f"think tank 2 (#{small})" in shown and "results not shown" in shown
    # The overall figures leave the small group out too: mean 4.0 of 3 answers, not of 5.
    assert "*4.0* (n=3" in shown and "n=5" not in shown
    assert "Met: 100%" in shown
    assert "Meeting at the library &lt;!channel&gt;" in shown  # listed, escaped, no name
    assert "Only two of us came" not in shown
    assert "U301" not in shown and "<@U30" not in shown

    bad = response_json(driver.command("/collider", "report group 1", user=FACILITATOR))
    assert "/collider report round N" in text_of(bad)


def test_templates_ad_hoc_attributed_polls_and_the_csv_export(
    driver: SlackDriver,
    database: Database,
    slack: LocalSlack,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    round_id, _ = make_round(database, slack, [["U401", "U402", "U403"]])
    assert "only facilitators" in text_of(
        response_json(driver.command("/collider", "poll new", user="U401"))
    )

    form = driver.command_view("/collider", "poll new", user=FACILITATOR)
    fields = ids.TEMPLATE_FIELDS
    wrong = response_json(
        driver.submit(
            form, {fields["name"]: "Pilot", fields["questions"]: "how was it?"}, user=FACILITATOR
        )
    )
    assert wrong["response_action"] == "errors"
    assert "Line 1" in wrong["errors"][fields["questions"]]
    questions = "scale: Was the pilot worth it?\nchoice: Next step? | =SUM(A1) | Stop\ntext: Notes"
    saved = response_json(
        driver.submit(
            form, {fields["name"]: "Pilot", fields["questions"]: questions}, user=FACILITATOR
        )
    )
    assert "3 questions" in text_of(saved["view"])

    form = driver.command_view("/collider", "poll send", user=FACILITATOR)
    [template] = [
        o["value"]
        for o in driver.suggest(form, ids.POLL_SEND_FIELDS["template"], "pil", user=FACILITATOR)
    ]
    send = ids.POLL_SEND_FIELDS
    values = {
        send["round"]: {"option": str(round_id)},
        send["template"]: {"option": template},
        send["days"]: "3",
        send["options"]: {"options": ["attributed"]},
    }
    too_long = response_json(driver.submit(form, {**values, send["days"]: "99"}, user=FACILITATOR))
    assert too_long["errors"][send["days"]].startswith("A poll can be open for 1 to 30 days")
    done = response_json(driver.submit(form, values, user=FACILITATOR))
    assert done["response_action"] == "update"
    slack.wait_for("chat.postMessage", 3)
    messages = poll_messages(slack)
    assert len(messages) == 3
    assert "Not anonymous" in text_of(messages[0]) and "Was the pilot worth it?" in text_of(
        messages[0]
    )

    click(driver, slack, "U401", "q1", "5")
    click(driver, slack, "U401", "q2", "0")
    write(driver, slack, "U402", {"q3": "+cmd|' /C calc'!A0"})
    with database.session() as session:
        owners = {a.participant_id for a in session.scalars(select(PollAnswer))}
    assert None not in owners  # attributed: answers name their author

    out = tmp_path / "polls.csv"
    monkeypatch.setenv("DATABASE_URL", database.url)
    assert main(["export-polls", "--out", str(out)]) == 0
    # Two respondents in the think tank: below the reports' threshold, so nothing is exported.
    assert list(csv.DictReader(out.open(encoding="utf-8"))) == []

    click(driver, slack, "U403", "q1", "3")
    assert main(["export-polls", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 4
    by_key = {row["question_key"]: row for row in rows if row["respondent"] != "U403"}
    assert by_key["q1"]["respondent"] == "U401" and by_key["q1"]["value"] == "5"
    assert by_key["q2"]["value"] == "'=SUM(A1)"  # a formula in a spreadsheet otherwise
    assert by_key["q3"]["value"] == "'+cmd|' /C calc'!A0"
    assert by_key["q3"]["anonymous"] == "no"


def test_anonymous_answers_export_without_names(
    driver: SlackDriver,
    database: Database,
    slack: LocalSlack,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_round(database, slack, [["U501", "U502", "U503"]])
    sweep(database, settings, after(14))
    click(driver, slack, "U501", "useful", "3")
    write(driver, slack, "U502", {"hard": "@SUM(1)"})
    click(driver, slack, "U503", "useful", "4")
    out = tmp_path / "anon.csv"
    monkeypatch.setenv("DATABASE_URL", database.url)
    assert main(["export-polls", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "U501" not in text and "U502" not in text and "U503" not in text
    rows = list(csv.DictReader(text.splitlines()))
    assert {row["respondent"][:5] for row in rows} == {"anon-"}
    assert {row["value"] for row in rows} == {"3", "4", "'@SUM(1)"}
