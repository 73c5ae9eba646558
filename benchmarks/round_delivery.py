"""How long from confirm to the last intro, for a round of N participants, within Slack's tiers.

Seeds N participants (texts resampled from ../shared/data, organisation types at random) into a
fresh SQLite database, groups them, confirms, and carries the round out against the local Slack
server with the gateway's normal pacing (conversations.open is Tier 3: 50 a minute, which is what
bounds a large round). Prints the figures; nothing is asserted.

    python -m benchmarks.round_delivery --people 1000
    python -m benchmarks.round_delivery --people 1000 --speedup 60   # pacing 60x faster
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from benchmarks.common import DATA_DIR, read_rows
from bot.local.slack import TEAM_ID, LocalSlack
from bot.rate_limit import SlackPacer
from bot.scheduling import outbound
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.slack_gateway import SlackGateway
from models import Idea, IdeaKind, IdeaStatus, OrganisationType, Participant
from models.db import Database
from services import matchmaking
from services.participants import SlackUser
from services.round_runner import run_round

TOKEN = "xoxb-benchmark"


def seed(database: Database, people: int, seed: int) -> None:
    rng = random.Random(seed)
    texts = [row.text for row in read_rows(DATA_DIR / "omastadi_plan_groups.csv")]
    types = list(OrganisationType)
    with database.session() as session:
        session.execute(
            insert(Participant),
            [
                {
                    "team_id": TEAM_ID,
                    "user_id": f"U{n:07d}",
                    "display_name": f"person {n}",
                    "organisation_type": rng.choice(types),
                    "language": rng.choice(["fi", "sv", "en"]),
                    "opt_in": "in",
                }
                for n in range(people)
            ],
        )
        ids = session.scalars(
            Participant.__table__.select().with_only_columns(Participant.id)
        ).all()
        session.execute(
            insert(Idea),
            [
                {
                    "author_id": pid,
                    "kind": rng.choice([IdeaKind.IDEA, IdeaKind.NEED]),
                    "title": (text := rng.choice(texts))[:80],
                    "body": text[:3000],
                    "status": IdeaStatus.OPEN,
                    "search_text": text.casefold(),
                }
                for pid in ids
            ],
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument(
        "--speedup", type=float, default=1.0, help="pace N times faster than Slack's tiers"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, LocalSlack(token=TOKEN) as slack:
        database = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        database.upgrade()
        seed(database, args.people, args.seed)
        facilitator = SlackUser(TEAM_ID, "UFACIL")
        started = time.perf_counter()
        with database.session() as session:
            round_ = matchmaking.create_preview(
                session,
                facilitator,
                matchmaking.RoundSettings(min_size=3, max_size=5, seed=args.seed),
            )
            round_ = matchmaking.confirm(session, round_.id, round_.version, facilitator)
            groups = len(round_.think_tanks)
            round_id = round_.id
        grouped = time.perf_counter()
        settings = Settings(slack_bot_token=TOKEN, slack_api_url=slack.api_url)
        gateway = SlackGateway(make_web_client(settings), SlackPacer(speedup=args.speedup))
        outcome = run_round(outbound(settings, database, gateway), round_id)
        finished = time.perf_counter()
        intros = [
            message
            for messages in slack.history.values()
            for message in messages
            if "collider-intro" in str(message.get("metadata"))
        ]
        opened = len(slack.calls_to("conversations.open"))
        print(f"people                 {args.people}")
        print(f"think tanks            {groups}")
        print(f"grouping (engine + db) {grouped - started:8.1f} s")
        print(f"confirm → last intro   {finished - grouped:8.1f} s  (pacing x{args.speedup:g})")
        print(
            f"intros delivered       {len(intros)} (duplicates: {len(intros) - len({str(m['metadata']) for m in intros})})"
        )
        print(f"conversations.open     {opened} calls")
        print(f"outcome                {outcome.status}")
        database.dispose()


if __name__ == "__main__":
    main()
