"""The console's demo walks the whole path: ideas -> think tank -> charter -> experiment card
-> stage evaluation -> result -> programme report with its chart."""

from __future__ import annotations

import io

from sqlalchemy import select

from bot.local.console import Console, local_console
from bot.settings import Settings
from handlers import ids
from handlers import programme_blocks as views
from models import (
    Charter,
    Decision,
    Experiment,
    Participant,
    StageEvaluationAnswer,
    StageEvaluationInvite,
    ThinkTank,
    ThinkTankMember,
)
from models.db import Database


def press(console: Console, out: io.StringIO, action_id: str, value: str | None = None) -> None:
    for number, pressable in console.pressables.items():
        button = pressable.button
        if button.action_id == action_id and (value is None or button.value == value):
            console.handle(f"press {number}")
            return
    raise AssertionError(f"no button {action_id} {value} shown:\n{out.getvalue()[-9000:]}")


def run(console: Console, *lines: str) -> None:
    for line in lines:
        console.handle(line)


def sannas_tank(database: Database) -> tuple[int, int]:
    with database.session() as session:
        tank = session.scalars(
            select(ThinkTank)
            .join(ThinkTankMember, ThinkTankMember.think_tank_id == ThinkTank.id)
            .join(Participant, Participant.id == ThinkTankMember.participant_id)
            .where(Participant.user_id == "U0SANNA")
        ).one()
        idea_id = tank.anchor_idea_id or next(m.idea_id for m in tank.members if m.idea_id)
        return tank.id, idea_id


def evaluator(database: Database) -> str:
    """The console name of the first person asked to evaluate the stage (demo ids: U0NAME)."""
    with database.session() as session:
        user_id = session.scalars(
            select(Participant.user_id)
            .join(StageEvaluationInvite, StageEvaluationInvite.participant_id == Participant.id)
            .order_by(StageEvaluationInvite.id)
        ).first()
    assert user_id is not None, "nobody was asked to evaluate the stage"
    return user_id.removeprefix("U0").lower()


def test_the_demo_walks_from_ideas_to_the_programme_report(database: Database) -> None:
    out = io.StringIO()
    settings = Settings(database_url=database.url)
    with local_console(settings, database, out=out, demo_data=True) as console:
        console.quiet_seconds = 0.05
        console._read = lambda prompt: "y"  # the answer to every "are you sure?"
        run(console, "as sanna", "/collider match", "submit")
        press(console, out, ids.ROUND_CONFIRM)
        tank_id, idea_id = sannas_tank(database)
        press(console, out, views.CHARTER_OPEN, str(tank_id))
        run(console, "fill 1 Lainaamo kirjastoon toukokuuhun mennessä", "submit")
        for stage in ("think_tank", "experiment"):
            run(console, f"/collider stage {idea_id}", f"fill 1 {stage}", "submit")
        # Someone the evaluation went to answers it from their inbox (who is in the group
        # depends on the grouping), then the facilitator carries on.
        run(console, f"as {evaluator(database)}", "inbox")
        press(console, out, views.EVALUATION_OPEN)
        run(console, "fill 1 Yhteyksiä", "fill 4 4", "submit", "as sanna")
        run(console, "/collider experiments")
        press(console, out, views.EXPERIMENT_OPEN)
        run(
            console,
            "fill 2 Ihmiset lainaavat työkaluja",
            "fill 3 Lainoja viikossa",
            "fill 4 30",
            "fill 6 2026-01-01",
            "fill 7 2026-03-01",
            "submit",
        )
        press(console, out, views.RESULT_OPEN)
        run(console, "fill 1 45 lainaa viikossa", "fill 2 pilot", "submit")
        run(console, "/collider report programme 2020-01-01")
        home_from = len(out.getvalue())
        run(console, "home")  # the facilitator's App Home: the figures, and their chart
    transcript = out.getvalue()
    home = transcript[home_from:]
    # The console speaks @sanna's Finnish too.
    assert "Kotinäkymä (App Home): @sanna" in home and "Ohjelma, viimeiset 12 kuukautta" in home
    assert "(collider latasi tiedostot Ohjelmaraportti, ei jaettu millekään kanavalle)" in home
    assert "[kuva: Ohjelmaraportti " in home
    [chart_file] = [f for f in console.slack.files.values() if not f.channels]
    assert chart_file.is_image
    assert "Pelisääntömme" in transcript  # the charter, posted in the group's conversation
    assert "Kokeilukortti #" in transcript and "Ohjelmaraportti" in transcript
    assert "(collider jakoi tiedostot Ohjelmaraportti: " in transcript
    with database.session() as session:
        assert session.scalars(select(Charter)).one().think_tank_id == tank_id
        experiment = session.scalars(select(Experiment)).one()
        assert experiment.measure == "Lainoja viikossa"
        assert experiment.decision is Decision.PILOT
        assert [a.rating for a in session.scalars(select(StageEvaluationAnswer))] == [4]
