"""The programme report at scale: 100k ideas, 20k think tanks (100k members), 5k experiments
and 2k stage evaluations (10k answers) over two years, on SQLite and on PostgreSQL.

Seeding uses Core ``insert`` with executemany (PostgreSQL: psycopg's pipelined executemany),
so it takes seconds; the timed part is ``build_report`` alone, every figure aggregated in SQL.

    python -m benchmarks.programme_report                      # SQLite in a temporary folder
    python -m benchmarks.programme_report --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bot.local.slack import LocalSlack
from bot.scheduling import outbound
from bot.settings import Settings
from models import (
    Experiment,
    Idea,
    IdeaStage,
    Participant,
    Round,
    StageEvaluation,
    StageEvaluationAnswer,
    ThinkTank,
    ThinkTankMember,
)
from models.db import Database
from services.programme_home import ProgrammeHome
from services.programme_report import Period, build_report
from tests.databases import scratch_postgres_database

TEAM = "TBENCH"
BENCH_TOKEN = "xoxb-bench"
START = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 730
TYPES = ["company", "resident", "education", "city", "research", "other"]
ROLES = [None, None, "student", "official", "councillor", "other"]
STAGES = ["idea", "think_tank", "experiment", "pilot", "adopted", "stopped"]
DECISIONS = ["pilot", "adopt", "stop", "try_again"]


def _when(rng: random.Random) -> datetime:
    return START + timedelta(seconds=rng.randrange(DAYS * 86400))


def _chunks(rows: list[dict], size: int = 10_000):  # type: ignore[type-arg]
    for index in range(0, len(rows), size):
        yield rows[index : index + size]


def seed(database: Database, ideas: int, tanks: int, experiments: int) -> dict[str, int]:
    rng = random.Random(16)
    people = ideas // 5
    with database.engine.begin() as connection:

        def bulk(model: type, rows: list[dict]) -> None:  # type: ignore[type-arg]
            for chunk in _chunks(rows):
                connection.execute(insert(model), chunk)

        now = START
        bulk(
            Participant,
            [
                {
                    "id": i,
                    "team_id": TEAM,
                    "user_id": f"U{i:07d}",
                    "organisation_type": rng.choice(TYPES),
                    "role": rng.choice(ROLES),
                    "opt_in": "in",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(1, people + 1)
            ],
        )
        idea_rows, stage_rows = [], []
        for i in range(1, ideas + 1):
            created = _when(rng)
            stage = rng.choices(STAGES, weights=(80, 12, 4, 2, 1, 1))[0]
            idea_rows.append(
                {
                    "id": i,
                    "author_id": rng.randint(1, people),
                    "kind": rng.choice(("idea", "need")),
                    "title": f"Idea {i}",
                    "body": "",
                    "status": "open",
                    "stage": stage,
                    "search_text": "",
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if stage in ("pilot", "adopted"):
                stage_rows.append(
                    {
                        "idea_id": i,
                        "stage": stage,
                        "note": "",
                        "changed_at": created + timedelta(days=30),
                    }
                )
        bulk(Idea, idea_rows)
        bulk(IdeaStage, stage_rows)
        rounds = max(1, tanks // 50)
        bulk(
            Round,
            [
                {
                    "id": r,
                    "team_id": TEAM,
                    "status": "completed",
                    "version": 1,
                    "created_by": "U1",
                    "parameters": {},
                    "cohesion": 0.0,
                    "random_cohesion": 0.0,
                    "issues": [],
                    "created_at": START,
                }
                for r in range(1, rounds + 1)
            ],
        )
        tank_rows, member_rows = [], []
        for t in range(1, tanks + 1):
            round_id = (t - 1) % rounds + 1
            tank_rows.append(
                {
                    "id": t,
                    "round_id": round_id,
                    "number": (t - 1) // rounds + 1,
                    "locked": False,
                    "active": True,
                    "language": "fi",
                    "cohesion": 0.0,
                    "key_terms": [],
                    "conversation_state": "done",
                    "intro_state": "done",
                    "started_at": _when(rng),
                }
            )
            for pid in rng.sample(range(1, people + 1), 5):
                member_rows.append(
                    {
                        "round_id": round_id,
                        "think_tank_id": t,
                        "participant_id": pid,
                        "tie_score": 0.0,
                    }
                )
        bulk(ThinkTank, tank_rows)
        # One person per round: the unique constraint (round, participant) drops repeats.
        unique: dict[tuple[Any, Any], dict[str, Any]] = {}
        for m in member_rows:
            unique.setdefault((m["round_id"], m["participant_id"]), m)
        bulk(ThinkTankMember, list(unique.values()))
        experiment_rows = []
        for e in range(1, experiments + 1):
            starts = (START + timedelta(days=rng.randrange(DAYS))).date()
            done = rng.random() < 0.6
            experiment_rows.append(
                {
                    "id": e,
                    "team_id": TEAM,
                    "idea_id": rng.randint(1, ideas),
                    "think_tank_id": rng.randint(1, tanks),
                    "title": f"Experiment {e}",
                    "hypothesis": "",
                    "measure": "",
                    "target": "",
                    "who": "",
                    "costs": "",
                    "starts_on": starts,
                    "ends_on": starts + timedelta(days=60),
                    "decision": rng.choice(DECISIONS) if done else None,
                    "result_at": datetime.combine(
                        starts + timedelta(days=61), datetime.min.time(), UTC
                    )
                    if done
                    else None,
                    "result_happened": "",
                    "learned": "",
                    "created_at": START,
                    "updated_at": START,
                }
            )
        bulk(Experiment, experiment_rows)
        evaluations = experiments * 2 // 5
        stage_ids = [
            row["id"]
            for row in connection.execute(
                insert(IdeaStage).returning(IdeaStage.id),
                [
                    {
                        "idea_id": rng.randint(1, ideas),
                        "stage": "experiment",
                        "note": "",
                        "changed_at": START,
                    }
                    for _ in range(evaluations)
                ],
            ).mappings()
        ]
        bulk(
            StageEvaluation,
            [
                {
                    "id": s,
                    "team_id": TEAM,
                    "idea_id": 1,
                    "idea_stage_id": stage_ids[s - 1],
                    "stage": rng.choice(("think_tank", "experiment", "pilot")),
                    "next_stage": "pilot",
                    "created_at": _when(rng),
                }
                for s in range(1, evaluations + 1)
            ],
        )
        bulk(
            StageEvaluationAnswer,
            [
                {
                    "evaluation_id": s,
                    "respondent": f"r{s}-{a}",
                    "gave": "",
                    "hard": "",
                    "succeeded": "",
                    "rating": rng.randint(1, 5),
                }
                for s in range(1, evaluations + 1)
                for a in range(rng.randint(1, 8))
            ],
        )
    return {
        "participants": people,
        "ideas": ideas,
        "think_tanks": tanks,
        "members": len(unique),
        "experiments": experiments,
        "stage_evaluations": evaluations,
    }


def measure(url: str, ideas: int, tanks: int, experiments: int, label: str) -> None:
    database = Database(url)
    database.upgrade()
    started = time.perf_counter()
    counts = seed(database, ideas, tanks, experiments)
    seeded = time.perf_counter() - started
    # Fresh statistics for the planner, as a running database has them (autovacuum on
    # PostgreSQL, ``PRAGMA optimize`` on SQLite).
    with database.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    period = Period(date(2024, 1, 1), date(2025, 12, 31))
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        with database.session() as session:
            report = build_report(session, TEAM, period)
        timings.append(time.perf_counter() - started)
    home = app_home_opens(database)
    database.dispose()
    print(f"\n{label}: seeded {counts} in {seeded:.1f} s")
    print(
        f"  build_report: {min(timings):.2f} s best, {max(timings):.2f} s worst of 3 (target < 5 s)"
    )
    print(
        f"  App Home's programme section: first open {home[0]:.2f} s (counts, draws, uploads), "
        f"the next {len(home) - 1} within the minute {max(home[1:]) * 1000:.1f} ms at most"
    )
    print(
        f"  ideas {report.ideas}, think tanks {report.think_tanks} "
        f"({report.crossing_think_tanks} across types), experiments started "
        f"{report.experiments_started} / finished {report.experiments_finished}, "
        f"pilots {report.pilots}, adoptions {report.adoptions}, "
        f"participants {report.participants_total}, rating cells {len(report.ratings)}"
    )


def app_home_opens(database: Database, opens: int = 5) -> list[float]:
    """Seconds each of ``opens`` App Home opens spends on the programme section
    (``ProgrammeHome.figures``), against a local Slack that takes the chart's upload. The clock
    stands at the end of the seeded period: the last 12 months of it, and the figures are kept."""
    with LocalSlack(token=BENCH_TOKEN) as slack:
        settings = Settings(
            database_url=database.url, slack_bot_token=BENCH_TOKEN, slack_api_url=slack.api_url
        )
        out = outbound(settings, database)
        home = ProgrammeHome(clock=lambda: datetime(2025, 12, 31, 12, tzinfo=UTC))
        timings = []
        for _ in range(opens):
            started = time.perf_counter()
            home.figures(out, TEAM, "en")
            timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--tanks", type=int, default=20_000)
    parser.add_argument("--experiments", type=int, default=5_000)
    parser.add_argument("--postgres", help="a PostgreSQL URL; a scratch database is made on it")
    args = parser.parse_args()
    sizes = (args.ideas, args.tanks, args.experiments)
    with tempfile.TemporaryDirectory() as folder:
        measure(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", *sizes, label="SQLite")
    if args.postgres:
        with scratch_postgres_database(args.postgres) as url:
            measure(url, *sizes, label="PostgreSQL")


if __name__ == "__main__":
    main()
