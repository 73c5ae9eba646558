"""The preview tells the truth before confirm: weak groupings, sizes off range, figures after a move."""

from __future__ import annotations

from sqlalchemy import select

from bot.local.slack import TEAM_ID, LocalSlack
from handlers import ids
from models import ThinkTank
from models.db import Database
from services import participants
from tests.handlers.test_rounds import FACILITATOR, button, request_preview, seed_people
from tests.slack_driver import SlackDriver, response_json, text_of

UNRELATED = [
    ("U201", "Sauna"),
    ("U202", "Jalkapallo"),
    ("U203", "Kirjasto"),
    ("U204", "Kahvila"),
    ("U205", "Bussi"),
    ("U206", "Pyörätie"),
]


def test_a_grouping_no_better_than_random_says_so_with_the_cause(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    slack.add_user(FACILITATOR, "fasi")
    for user_id, text in UNRELATED:
        slack.add_user(user_id, user_id.lower())
        driver.command("/idea", text, user=user_id)
        with database.session() as session:
            participants.update_profile(
                session,
                participants.SlackUser(TEAM_ID, user_id),
                participants.ProfileUpdate(f"Org {user_id}", "city", "en"),
            )
    shown = text_of(request_preview(driver, slack, diversity=0))
    assert "not clearly better than random" in shown
    assert "few people" in shown
    # Before the confirm button, not after it.
    assert shown.index("not clearly better than random") < shown.index("Think tank 1")


def test_a_clear_grouping_has_no_such_warning(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    seed_people(driver, database, slack)
    assert "not clearly better" not in text_of(request_preview(driver, slack))


def move(driver: SlackDriver, slack: LocalSlack, preview: dict, person: int, group: int) -> dict:  # type: ignore[type-arg]
    driver.click(ids.ROUND_MOVE, button(preview, ids.ROUND_MOVE)["value"], user=FACILITATOR)
    view = slack.wait_for("views.open", count=2)[-1]["view"]  # after the match form
    answer = response_json(
        driver.submit(
            view,
            {
                ids.MOVE_FIELDS["person"]: {"option": str(person)},
                ids.MOVE_FIELDS["group"]: str(group),
            },
            user=FACILITATOR,
        )
    )
    assert answer.get("response_action") != "errors", answer
    return slack.wait_for("chat.update")[-1]


def cohesion_by_number(database: Database) -> dict[int, float]:
    with database.session() as session:
        return {tank.number: tank.cohesion for tank in session.scalars(select(ThinkTank))}


def test_a_move_past_the_maximum_warns_and_figures_are_recomputed(
    driver: SlackDriver, database: Database, slack: LocalSlack
) -> None:
    seed_people(driver, database, slack)
    preview = request_preview(driver, slack, diversity=0)
    before = cohesion_by_number(database)
    with database.session() as session:
        tanks = {tank.number: tank for tank in session.scalars(select(ThinkTank))}
        mover = tanks[1].members[0].participant_id
    redrawn = text_of(move(driver, slack, preview, mover, 2))
    assert "Think tank 2 has 4 people, more than the maximum of 3" in redrawn
    assert "Think tank 1 has 2 people, fewer than the minimum of 3" in redrawn
    after = cohesion_by_number(database)
    # The newcomer is unrelated to group 2 (tools vs. school yards): its cohesion falls.
    assert after[2] < before[2]
    assert after[1] != before[1]
