"""Nothing cut without a word, whatever the size (issue 15): themes, rounds and people past
Slack's 100 options are one search away, a search that matches more says how many more, and
what a message can only count is a button away, as a file in the facilitator's DM.

Every payload is held to Block Kit's limits and to the escaping rules by the local Slack (the
``slack`` fixture fails the test on any violation): plain text must not carry ``&amp;``."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from sqlalchemy import select

from bot.local import block_kit_limits as limits
from bot.local.slack import TEAM_ID, LocalSlack
from handlers import ids
from handlers import programme_blocks as views
from models import (
    Experiment,
    Idea,
    IdeaKind,
    Participant,
    Poll,
    Round,
    Stage,
    Theme,
    ThemeStatus,
    ThinkTank,
    ThinkTankMember,
)
from models.db import Database
from services.matchmaking import RoundSettings
from services.programme_report import GoalRow, Period, ProgrammeReport, RatingCell
from tests.handlers.test_rounds import FACILITATOR, button, form_values, open_match_form
from tests.polls.world import make_round
from tests.programme.test_programme_path import card_values
from tests.slack_driver import SlackDriver, response_json, text_of


def group_label(answer_options: dict[str, Any]) -> str:
    [group] = answer_options["option_groups"]
    return str(group["label"]["text"])


def add_themes(
    database: Database,
    count: int,
    *,
    closed: int = 0,
    name: str = "Strategy goal {n:03}",
    description: str = "",
) -> list[int]:
    """``count`` themes named ``name`` (numbered from 0), the first ``closed`` of them closed."""
    with database.session() as session:
        themes = [
            Theme(
                team_id="T0LOCAL",
                title=name.format(n=n),
                description=description,
                opens_on=date.today(),
                status=ThemeStatus.CLOSED if n < closed else ThemeStatus.OPEN,
            )
            for n in range(count)
        ]
        session.add_all(themes)
        session.flush()
        return [theme.id for theme in themes]


def test_the_match_form_finds_every_theme_past_100_open_or_closed(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    slack.add_user(FACILITATOR, "fasi")
    theme_ids = add_themes(database, 105, closed=3)
    view = open_match_form(driver)
    field = next(b for b in view["blocks"] if b["block_id"] == ids.MATCH_FIELDS["theme"])
    assert field["element"]["type"] == "external_select"
    everything = driver.suggestions(view, ids.MATCH_FIELDS["theme"], user=FACILITATOR)
    # "Any theme" and 99 themes; the other 6 are counted, and typing finds them.
    assert len(everything["option_groups"][0]["options"]) == 100
    assert group_label(everything) == "6 more matches not shown: type to narrow"
    assert everything["option_groups"][0]["options"][0]["text"]["text"].startswith("Any theme")
    closed = driver.suggest(view, ids.MATCH_FIELDS["theme"], "goal 000", user=FACILITATOR)
    assert [o["text"]["text"] for o in closed] == ["Strategy goal 000"]
    values = {**form_values(), ids.MATCH_FIELDS["theme"]: {"option": closed[0]["value"]}}
    answer = response_json(driver.submit(view, values, user=FACILITATOR))
    assert answer["response_action"] == "update", answer
    assert closed[0]["value"] == f"theme:{theme_ids[0]}"
    # A free label is not a theme here: refused under the field.
    crafted = {**form_values(), ids.MATCH_FIELDS["theme"]: {"option": "label:anything"}}
    refused = response_json(driver.submit(view, crafted, user=FACILITATOR))
    assert ids.MATCH_FIELDS["theme"] in refused["errors"]


def make_preview(database: Database, groups: int, size: int) -> tuple[int, int]:
    """A preview of ``groups`` think tanks of ``size`` people not in Slack (long names, so that
    the preview message can only count most groups); its id and version."""
    settings = RoundSettings(min_size=size, max_size=size, min_distinct=0, include_offline=True)
    with database.session() as session:
        round_ = Round(team_id=TEAM_ID, created_by=FACILITATOR, parameters=settings.as_json())
        session.add(round_)
        session.flush()
        for number in range(1, groups + 1):
            tank = ThinkTank(round_id=round_.id, number=number, language="en")
            session.add(tank)
            session.flush()
            for seat in range(size):
                person = Participant(
                    team_id=TEAM_ID,
                    user_id=f"offline-{round_.id}-{number}-{seat}",
                    display_name=f"Person {number:03}-{seat} from the neighbourhood association",
                    is_offline=True,
                )
                session.add(person)
                session.flush()
                idea = Idea(
                    author=person,
                    kind=IdeaKind.IDEA,
                    title=f"Idea {number}-{seat}",
                    body=f"Community garden number {number} and idea {seat}",
                )
                session.add(idea)
                session.flush()
                session.add(
                    ThinkTankMember(
                        round_id=round_.id,
                        think_tank_id=tank.id,
                        participant_id=person.id,
                        idea_id=idea.id,
                    )
                )
        return round_.id, round_.version


def redrawn_preview(driver: SlackDriver, round_id: int, version: int) -> dict[str, Any]:
    """The preview as the app draws it (a lock of group 1 redraws it in place)."""
    value = json.dumps({"r": round_id, "v": version, "n": 1, "lock": True})
    driver.click(ids.ROUND_LOCK, value, user=FACILITATOR)
    return driver.click_replies()[-1]


def test_a_preview_of_800_people_counts_the_groups_it_cannot_show_and_sends_them_all(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    slack.add_user(FACILITATOR, "fasi")
    round_id, version = make_preview(database, groups=100, size=8)
    with database.session() as session:
        round_ = session.get(Round, round_id)
        assert round_ is not None
        # A warning for each group: the engine could not keep apart who should not meet.
        round_.issues = [
            {
                "code": "pair_together",
                "participants": [m.participant_id for m in tank.members],
                "params": {"group": tank.number},
            }
            for tank in round_.think_tanks
        ]
    preview = redrawn_preview(driver, round_id, version)
    said = text_of(preview)
    assert "more think tanks, not shown here" in said
    assert "more warnings: *Send everything as a file* lists them all" in said
    assert "Send everything as a file" in said
    driver.click(ids.PREVIEW_FILE, button(preview, ids.PREVIEW_FILE)["value"], user=FACILITATOR)
    [shared] = slack.wait_for("files.completeUploadExternal")
    assert shared["channel_id"] == slack.dm_channel(FACILITATOR)
    [content] = slack.uploads.values()
    text = content.decode()
    for number in range(1, 101):
        assert f"Think tank {number}*" in text
        assert f"Group {number} puts together people who should not meet (again)" in text
        for seat in range(8):
            assert f"Person {number:03}-{seat} from the neighbourhood association" in text
    assert "&amp;" not in text and "<@" not in text


def test_the_move_form_reaches_every_person_and_a_new_group_past_any_gap(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    slack.add_user(FACILITATOR, "fasi")
    round_id, version = make_preview(database, groups=30, size=5)
    with database.session() as session:
        # Think tank 30 is gone (everyone moved out of it): numbers now run 1..29 and 31.
        tank = session.scalars(
            select(ThinkTank).where(ThinkTank.round_id == round_id, ThinkTank.number == 30)
        ).one()
        tank.number = 31
    value = json.dumps({"r": round_id, "v": version})
    driver.click(ids.ROUND_MOVE, value, user=FACILITATOR)
    view = driver.last_opened_view()
    field = ids.MOVE_FIELDS["person"]
    everyone = driver.suggestions(view, field, user=FACILITATOR)
    assert len(everyone["option_groups"][0]["options"]) == 100
    assert group_label(everyone) == "50 more matches not shown: type to narrow"
    last = driver.suggest(view, field, "person 030-4", user=FACILITATOR)
    assert [o["text"]["text"] for o in last] == [
        "Person 030-4 from the neighbourhood association (#31)"
    ]
    by_group = driver.suggest(view, field, "#7", user=FACILITATOR)
    assert [o["text"]["text"][:12] for o in by_group] == [f"Person 007-{n}" for n in range(5)]
    group = next(b for b in view["blocks"] if b["block_id"] == ids.MOVE_FIELDS["group"])
    assert group["element"]["max_value"] == "32"  # one past the last, not past the count
    values = {field: {"option": last[0]["value"]}, ids.MOVE_FIELDS["group"]: "32"}
    assert response_json(driver.submit(view, values, user=FACILITATOR)) == {}
    with database.session() as session:
        moved = session.get(Participant, int(last[0]["value"]))
        assert moved is not None
        member = session.scalars(
            select(ThinkTankMember).where(ThinkTankMember.participant_id == moved.id)
        ).one()
        assert session.get(ThinkTank, member.think_tank_id).number == 32  # type: ignore[union-attr]


def test_a_participant_cannot_search_a_preview(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    slack.add_user(FACILITATOR, "fasi")
    slack.add_user("UPART", "participant")
    round_id, version = make_preview(database, groups=2, size=3)
    view = {
        "id": "V1",
        "private_metadata": json.dumps({"r": round_id, "v": version}),
        "blocks": [
            {
                "type": "input",
                "block_id": ids.MOVE_FIELDS["person"],
                "element": {"type": "external_select", "action_id": ids.MOVE_PERSON_CHOICE},
            }
        ],
    }
    assert driver.suggest(view, ids.MOVE_FIELDS["person"], "person", user="UPART") == []


def test_poll_send_reaches_every_round_past_100(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    rounds = [make_round(database, slack, [[f"U9{n:03}"]])[0] for n in range(105)]
    form = driver.command_view("/collider", "poll send", user=FACILITATOR)
    field = ids.POLL_SEND_FIELDS["round"]
    chosen = next(b for b in form["blocks"] if b["block_id"] == field)["element"]
    assert chosen["type"] == "external_select"
    assert chosen["initial_option"]["value"] == str(rounds[-1])  # the newest, ready to send
    newest = driver.suggestions(form, field, user=FACILITATOR)
    shown = [int(o["value"]) for o in newest["option_groups"][0]["options"]]
    assert shown == sorted(rounds, reverse=True)[:100]
    assert group_label(newest) == "5 more matches not shown: type to narrow"
    oldest = driver.suggest(form, field, str(rounds[0]), user=FACILITATOR)
    assert str(rounds[0]) in [o["value"] for o in oldest]
    assert driver.suggest(form, field, "not a number", user=FACILITATOR) == []
    values = {field: {"option": str(rounds[0])}, ids.POLL_SEND_FIELDS["days"]: "3"}
    answer = response_json(driver.submit(form, values, user=FACILITATOR))
    assert answer["response_action"] == "update", answer
    with database.session() as session:
        assert session.scalars(select(Poll.round_id)).all() == [rounds[0]]


def test_a_theme_named_with_markup_reads_as_typed_in_plain_text_and_escaped_in_mrkdwn(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    """``a & b <c>``: plain text (option texts, headers) shows it as typed, mrkdwn escaped.
    The local Slack flags an entity in any plain text, so an escaped one fails the test."""
    slack.add_user(FACILITATOR, "fasi")
    name = "a & b <c>"
    with database.session() as session:
        session.add(
            Theme(
                team_id="T0LOCAL",
                title=name,
                description="",
                opens_on=date.today(),
                status=ThemeStatus.OPEN,
            )
        )
    idea_form = driver.command_view("/idea", "", user=FACILITATOR)
    [offered, _new] = driver.suggest(idea_form, ids.IDEA_FIELDS["theme"], "a &", user=FACILITATOR)
    assert offered["text"]["text"] == name
    match_form = open_match_form(driver)
    [filter_] = driver.suggest(match_form, ids.MATCH_FIELDS["theme"], "b <", user=FACILITATOR)
    assert filter_["text"]["text"] == name
    listing = response_json(driver.command("/collider", "themes", user=FACILITATOR))
    assert "a &amp; b &lt;c&gt;" in text_of(listing, formatted_only=True)
    before = len(slack.calls_to("chat.postMessage"))
    driver.command("/collider", f"report theme {name}", user=FACILITATOR)
    report = slack.wait_for("chat.postMessage", before + 1)[-1]
    [header] = [b for b in report["blocks"] if b["type"] == "header"]
    assert header["text"] == {
        "type": "plain_text",
        "text": "Poll report: theme a & b <c>",
        "emoji": True,
    }
    assert report["text"] == "Poll report: theme a &amp; b &lt;c&gt;"


def test_the_experiment_card_finds_every_theme_and_keeps_the_one_it_has(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    slack.add_user(FACILITATOR, "fasi")
    theme_ids = add_themes(database, 105, closed=1)
    with database.session() as session:
        experiment = Experiment(team_id=TEAM_ID, title="Tool library", theme_id=theme_ids[50])
        session.add(experiment)
        session.flush()
        experiment_id = experiment.id
    driver.click(views.EXPERIMENT_OPEN, str(experiment_id), user=FACILITATOR)
    form = driver.last_opened_view()
    field = views.EXPERIMENT_FIELDS["theme_id"]
    theme = next(b for b in form["blocks"] if b["block_id"] == field)["element"]
    assert theme["type"] == "external_select"
    assert theme["initial_option"]["text"]["text"] == "Strategy goal 050"
    assert "more matches" in group_label(driver.suggestions(form, field, user=FACILITATOR))
    [closed] = driver.suggest(form, field, "goal 000", user=FACILITATOR)
    card = {
        **card_values(date.today()),
        field: {"option": closed["value"]},
    }
    saved = response_json(driver.submit(form, card, user=FACILITATOR))
    assert saved["response_action"] == "update", saved
    with database.session() as session:
        assert session.get(Experiment, experiment_id).theme_id == theme_ids[0]  # type: ignore[union-attr]


def test_the_programme_report_shows_every_goal_and_counts_the_months_it_cannot_show() -> None:
    """Was: the first 20 goals and the last 20 monthly figures, the rest gone without a word."""
    months = [f"{year}-{month:02d}" for year in range(1990, 2026) for month in range(1, 13)]
    stages = list(Stage)
    report = ProgrammeReport(
        period=Period(date(1990, 1, 1), date(2025, 12, 31)),
        ideas={IdeaKind.IDEA: 5, IdeaKind.NEED: 2},
        think_tanks=3,
        crossing_think_tanks=2,
        experiments_started=1,
        experiments_finished=0,
        decisions={},
        moves={},
        participants={},
        roles={},
        participants_total=9,
        ratings=[RatingCell(stage, month, 3.5, 4) for month in months for stage in stages],
        goals=[GoalRow(f"Goal {n} & more", ideas=n) for n in range(50)] + [GoalRow("")],
    )
    answer = views.report_message(report, "en")
    assert limits.message_problems(answer) == []
    said = text_of(answer)
    assert all(f"Goal {n} &amp; more" in said for n in range(50))
    assert "2025-12" in said and "1990-01" not in said
    counted = re.search(r"…and ([\d,]+) earlier figures \(a month and a stage\)", said)
    assert counted is not None
    shown = said.count("(4 answers)")
    assert shown + int(counted.group(1).replace(",", "")) == len(report.ratings)


def test_themes_the_list_can_only_count_are_found_by_name_closed_ones_too(
    driver: SlackDriver, database: Database
) -> None:
    described = "A goal of the city strategy, described at length. " * 10
    add_themes(database, 300, closed=300, description=described)
    listing = text_of(response_json(driver.command("/collider", "themes")))
    assert "Strategy goal 299" in listing and "Strategy goal 000" not in listing
    assert "more themes: `/collider themes WORDS` lists those with WORDS" in listing
    found = text_of(response_json(driver.command("/collider", "themes goal 000")))
    assert "Strategy goal 000" in found and "Strategy goal 001" not in found
    nothing = text_of(response_json(driver.command("/collider", "themes no such <b>")))
    assert "No theme or label has “no such &lt;b&gt;”" in nothing
