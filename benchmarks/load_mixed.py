"""Mixed load on ``collider run --http``: is every request acked in time, and is nothing lost or
done twice?

Starts a LocalSlack and the real ``collider run --http`` on a fresh database (the machinery of
``idea_ack_latency``), then sends ``--n`` signed requests ``--concurrency`` at a time, a mix of
kinds: ``/idea`` and ``/need`` with new texts, ``/ideas [words]`` searches, ``/collider help``,
clicks on ideas stored earlier in the run (edit, withdraw, next page; their answers go to
response URLs on the LocalSlack), and answers to evaluation polls: before the load the users are
put in think tanks of a completed round and one poll sweep sends each of them a poll DM, whose
answer buttons they then click. Afterwards it compares what was sent with what is stored and
what Slack received: each idea stored once, each withdrawn idea withdrawn, each edit click one
form, each withdraw, page and poll click one answer, and each person's answer to each question
they clicked stored once, with a value they clicked (a later click changes it, never adds one).

    /work/venv/bin/python benchmarks/load_mixed.py --backend postgresql --n 2000 --concurrency 50
    /work/venv/bin/python benchmarks/load_mixed.py --backend sqlite --n 500 --concurrency 20

A new kind (e.g. poll answers) is one more ``Kind`` in ``KINDS``: how to build a request from
the run so far, what a good ack looks like, and how to count what it left behind.
Exit status 1 on any error, loss, duplicate or a p99 over the target.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from benchmarks.idea_ack_latency import (  # noqa: E402
    BOT_TOKEN,
    DEFAULT_POSTGRES,
    SIGNING_SECRET,
    collider_variables,
    sqlite_database,
)
from bot.local.slack import LocalSlack  # noqa: E402
from bot.settings import Settings  # noqa: E402
from handlers import ids  # noqa: E402
from models import Idea, IdeaStatus, Participant, PollAnswer, PollDelivery  # noqa: E402
from models.db import Database  # noqa: E402
from services import polls  # noqa: E402
from services.answer_keys import answer_keys  # noqa: E402
from tests.databases import scratch_postgres_database  # noqa: E402
from tests.http_process import HttpCollider  # noqa: E402
from tests.polls.world import buttons, make_round, sweep  # noqa: E402
from tests.slack_driver import SlackDriver, sign  # noqa: E402

# Issue 12: mixed load, 2,000 requests 50 at a time on PostgreSQL, p99 under 500 ms.
P99_TARGET_MS = 500.0
USERS = 100
WORDS = ["bicycle", "library", "sauna", "school", "bus", "compost", "repair", "music", "snow"]


@dataclass
class Sent:
    """One request: its kind, body, and what should follow from it."""

    kind: str
    body: str
    expect: bytes | None = None  # a good ack contains this (None: any 200)
    text: str | None = None  # an idea or need text that must be stored once
    idea_id: int | None = None  # the idea a click is about
    response_key: str | None = None  # the response URL key its answer must go to
    answer: tuple[str, str, str] | None = None  # a poll click: (user, question, value)


@dataclass
class Run:
    """What the run has done so far, shared by the kinds' builders."""

    forms: SlackDriver
    prefix: str
    rng: random.Random
    ideas_by_user: dict[str, list[int]] = field(default_factory=dict)
    withdrawn: set[int] = field(default_factory=set)
    poll_dms: dict[str, dict] = field(default_factory=dict)  # user -> their poll message
    count: int = 0

    def user(self) -> str:
        return f"ULOAD{self.rng.randrange(USERS):03d}"

    def next_number(self) -> int:
        self.count += 1
        return self.count


@dataclass(frozen=True)
class Kind:
    weight: int
    build: Callable[[Run], Sent | None]  # None: not possible yet (e.g. no idea to click)


def _share(command: str, word: str) -> Callable[[Run], Sent]:
    def build(run: Run) -> Sent:
        number = run.next_number()
        text = f"{run.prefix} {word} {number}: {run.rng.choice(WORDS)} for the neighbourhood"
        trigger = f"{run.prefix}.{number}.trigger"
        body = run.forms.command_body(command, text, user=run.user(), trigger_id=trigger)
        return Sent(word, body, expect=f"Saved your {word}".encode(), text=text)

    return build


def _search(run: Run) -> Sent:
    words = " ".join(run.rng.sample(WORDS, run.rng.randrange(0, 3)))
    return Sent("search", run.forms.command_body("/ideas", words, user=run.user()), b"blocks")


def _help(run: Run) -> Sent:
    body = run.forms.command_body("/collider", "help", user=run.user())
    return Sent("help", body, b"Idea Collider")


def _own_idea(run: Run, parity: int) -> tuple[str, int] | None:
    """An idea and its author; edits take even ids and withdrawals odd ones, so a click
    never races a withdrawal of the same idea sent at the same moment."""
    owned = {
        user: [idea for idea in ideas if idea % 2 == parity]
        for user, ideas in run.ideas_by_user.items()
    }
    owners = [user for user, ideas in owned.items() if ideas]
    if not owners:
        return None
    user = run.rng.choice(owners)
    return user, run.rng.choice(owned[user])


def _click(
    kind: str,
    action_id: str,
    run: Run,
    user: str,
    value: str,
    idea: int | None,
    message: dict | None = None,
) -> Sent:
    key = f"{run.prefix.split()[-1]}-{kind}-{run.next_number()}"
    url = run.forms.slack.response_url(key)
    payload = run.forms.click_payload(
        action_id, value, user=user, response_url=url, message=message
    )
    return Sent(kind, run.forms.interaction_body(payload), idea_id=idea, response_key=key)


def _edit(run: Run) -> Sent | None:
    found = _own_idea(run, parity=0)
    if found is None:
        return None
    user, idea = found
    return _click("edit", ids.EDIT_IDEA, run, user, str(idea), idea)


def _withdraw(run: Run) -> Sent | None:
    found = _own_idea(run, parity=1)
    if found is None:
        return None
    user, idea = found
    run.ideas_by_user[user].remove(idea)  # each idea is withdrawn once
    run.withdrawn.add(idea)
    return _click("withdraw", ids.WITHDRAW_IDEA, run, user, str(idea), idea)


def _page(run: Run) -> Sent:
    value = json.dumps({"q": run.rng.choice(["", *WORDS]), "p": run.rng.randrange(1, 4)})
    return _click("page", ids.IDEAS_PAGE, run, run.user(), value, None)


def _poll_answer(run: Run) -> Sent | None:
    """A click on one answer button of a user's poll DM, as Slack would send it."""
    if not run.poll_dms:
        return None
    user = run.rng.choice(sorted(run.poll_dms))
    message = run.poll_dms[user]
    choices = [b for b in buttons(message) if b["action_id"].startswith(ids.POLL_ANSWER_PREFIX)]
    button = run.rng.choice(choices)
    ref = json.loads(button["value"])
    item = _click("poll", button["action_id"], run, user, button["value"], None, message)
    item.answer = (user, ref["q"], ref["v"])
    return item


KINDS: dict[str, Kind] = {
    "idea": Kind(30, _share("/idea", "idea")),
    "need": Kind(10, _share("/need", "need")),
    "search": Kind(20, _search),
    "help": Kind(5, _help),
    "edit": Kind(10, _edit),
    "withdraw": Kind(10, _withdraw),
    "page": Kind(15, _page),
    "poll": Kind(15, _poll_answer),
}


def open_polls(database_url: str, slack: LocalSlack, run: Run) -> None:
    """Think tanks of four of the load's users in a completed round, and one poll sweep (as
    the scheduler would run it) that sends each of them a poll DM to answer."""
    users = [f"ULOAD{number:03d}" for number in range(USERS)]
    database = Database(database_url)
    settings = Settings(
        database_url=database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
    )
    try:
        make_round(database, slack, [users[i : i + 4] for i in range(0, USERS, 4)])
        result = sweep(database, settings, datetime.now(UTC))
    finally:
        database.dispose()
    assert result.sent == USERS, f"poll sweep sent {result.sent} of {USERS}"
    by_channel = {call["channel"]: call for call in slack.calls_to("chat.postMessage")}
    run.poll_dms = {user: by_channel[slack._dm(user)] for user in users}


@dataclass(frozen=True)
class Outcome:
    sent: Sent
    latency_ms: float | None  # None: failed


def send_all(server: HttpCollider, batch: list[Sent], concurrency: int) -> list[Outcome]:
    def send(item: Sent) -> Outcome:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **sign(SIGNING_SECRET, item.body),
        }
        started = time.perf_counter()
        try:
            status, body = server.request("POST", "/slack/events", item.body, headers)
        except OSError:
            return Outcome(item, None)
        elapsed = (time.perf_counter() - started) * 1000
        good = status == 200 and (item.expect is None or item.expect in body)
        return Outcome(item, elapsed if good else None)

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(send, batch))


def build_batch(run: Run, count: int, kinds: dict[str, Kind]) -> list[Sent]:
    names = list(kinds)
    weights = [kinds[name].weight for name in names]
    batch: list[Sent] = []
    while len(batch) < count:
        item = kinds[run.rng.choices(names, weights)[0]].build(run)
        if item is not None:
            batch.append(item)
    return batch


def learn_ideas(database_url: str, run: Run) -> None:
    """Which of the ideas stored so far belong to whom, for later clicks."""
    database = Database(database_url)
    try:
        with database.session() as session:
            rows = session.execute(
                select(Idea.id, Idea.author_id, Idea.body).where(Idea.body.startswith(run.prefix))
            ).all()
            users = dict(session.execute(select(Participant.id, Participant.user_id)).all())
    finally:
        database.dispose()
    run.ideas_by_user = {}
    for idea_id, author_id, _ in rows:
        if idea_id not in run.withdrawn:
            run.ideas_by_user.setdefault(users[author_id], []).append(idea_id)


@dataclass(frozen=True)
class Figures:
    backend: str
    n: int
    concurrency: int
    seconds: float
    latencies: dict[str, list[float]]
    errors: Counter[str]
    lost: Counter[str]
    duplicated: Counter[str]

    def p(self, values: list[float], q: int) -> float:
        if not values:
            return float("nan")
        if len(values) == 1:
            return values[0]
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1]

    @property
    def everything(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and not self.lost
            and not self.duplicated
            and self.p(self.everything, 99) < P99_TARGET_MS
        )


def check_outcomes(
    database_url: str, slack: LocalSlack, run: Run, outcomes: list[Outcome]
) -> tuple[Counter[str], Counter[str]]:
    """Lost and duplicated effects per kind, comparing what was sent with what is stored."""
    lost: Counter[str] = Counter()
    duplicated: Counter[str] = Counter()
    database = Database(database_url)
    try:
        with database.session() as session:
            stored = Counter(
                session.scalars(select(Idea.body).where(Idea.body.startswith(run.prefix)))
            )
            statuses = dict(session.execute(select(Idea.id, Idea.status)).all())
            answers = _stored_answers(session)
    finally:
        database.dispose()
    # Answers after the ack come a moment later: wait until they stop arriving.
    answered: Counter[str] = Counter()
    opened = 0
    for _ in range(100):
        answered = Counter(call["_key"] for call in slack.calls_to("response_url"))
        opened = len(slack.calls_to("views.open"))
        time.sleep(0.1)
        if answered == Counter(c["_key"] for c in slack.calls_to("response_url")) and opened == len(
            slack.calls_to("views.open")
        ):
            break
    edits = 0
    for outcome in outcomes:
        item = outcome.sent
        if item.text is not None:
            copies = stored[item.text]
            lost[item.kind] += copies == 0
            duplicated[item.kind] += max(0, copies - 1)
        if item.kind == "withdraw" and statuses.get(item.idea_id) is not IdeaStatus.WITHDRAWN:
            lost[item.kind] += 1
        if item.response_key is not None and item.kind != "edit":  # an edit answers with a form
            copies = answered[item.response_key]
            lost[item.kind] += copies == 0
            duplicated[item.kind] += max(0, copies - 1)
        edits += item.kind == "edit"
    lost["edit"] += max(0, edits - opened)
    duplicated["edit"] += max(0, opened - edits)
    _check_answers(outcomes, answers, lost, duplicated)
    return +lost, +duplicated


def _stored_answers(session: Any) -> Counter[tuple[str, str, str]]:
    """Stored poll answers as (user, question, value); anonymous answers name no one, so the
    respondent hash of each person who got a poll tells whose they are."""
    key = answer_keys(session, Settings()).current
    whose = {}
    for delivery in session.scalars(select(PollDelivery)):
        respondent = polls.respondent_key(key, delivery.poll_id, delivery.participant_id)
        whose[(delivery.poll_id, respondent)] = delivery.participant.user_id
    return Counter(
        (whose.get((answer.poll_id, answer.respondent), "?"), answer.question_key, answer.value)
        for answer in session.scalars(select(PollAnswer))
    )


def _check_answers(
    outcomes: list[Outcome],
    answers: Counter[tuple[str, str, str]],
    lost: Counter[str],
    duplicated: Counter[str],
) -> None:
    """Each (person, question) clicked has one stored answer, one of the values clicked."""
    clicked: dict[tuple[str, str], set[str]] = {}
    for outcome in outcomes:
        if outcome.sent.answer is not None:
            user, question, value = outcome.sent.answer
            clicked.setdefault((user, question), set()).add(value)
    stored: dict[tuple[str, str], list[str]] = {}
    for (user, question, value), copies in answers.items():
        stored.setdefault((user, question), []).extend([value] * copies)
    for pair, values in clicked.items():
        kept = stored.get(pair, [])
        lost["poll"] += not any(value in values for value in kept)
        duplicated["poll"] += max(0, len(kept) - 1)
    duplicated["poll"] += sum(len(kept) for pair, kept in stored.items() if pair not in clicked)


def run_backend(
    backend: str, database_url: str, args: argparse.Namespace, workdir: Path
) -> Figures:
    with LocalSlack(token=BOT_TOKEN) as slack:
        variables = collider_variables(slack, database_url)
        module = "bot"
        if args.profile:
            # The server's workers under cProfile (benchmarks/profiled_collider.py).
            Path(args.profile).mkdir(parents=True, exist_ok=True)
            variables["COLLIDER_PROFILE_DIR"] = args.profile
            module = "benchmarks.profiled_collider"
        run = Run(
            forms=SlackDriver(None, slack, SIGNING_SECRET),  # type: ignore[arg-type]
            prefix=f"Load {uuid.uuid4().hex[:8]}",
            rng=random.Random(args.seed),
        )
        with HttpCollider(
            variables,
            workdir,
            workers=args.workers,
            threads=args.threads,
            worker_class=args.worker_class,
            module=module,
        ) as server:
            open_polls(database_url, slack, run)
            # Warm-up, and ideas to click on: a fifth of the load is shared before the mix.
            sharing = {name: KINDS[name] for name in ("idea", "need")}
            warmup = build_batch(run, args.n // 5, sharing)
            started = time.perf_counter()
            outcomes = send_all(server, warmup, args.concurrency)
            learn_ideas(database_url, run)
            mixed = build_batch(run, args.n - len(warmup), KINDS)
            outcomes += send_all(server, mixed, args.concurrency)
            seconds = time.perf_counter() - started
        lost, duplicated = check_outcomes(database_url, slack, run, outcomes)
    latencies: dict[str, list[float]] = {}
    errors: Counter[str] = Counter()
    for outcome in outcomes:
        if outcome.latency_ms is None:
            errors[outcome.sent.kind] += 1
        else:
            latencies.setdefault(outcome.sent.kind, []).append(outcome.latency_ms)
    return Figures(
        backend, len(outcomes), args.concurrency, seconds, latencies, errors, lost, duplicated
    )


def print_figures(figures: Figures) -> None:
    print(
        f"\n{figures.backend}: {figures.n} requests, {figures.concurrency} at a time, "
        f"{figures.seconds:.1f} s ({figures.n / figures.seconds:.0f}/s), cores={os.cpu_count()}"
    )
    header = f"{'kind':<10}{'sent':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'err':>5}"
    header += f"{'lost':>6}{'dup':>5}"
    print(header)
    print("-" * len(header))
    rows = sorted(figures.latencies) + ["all"]
    for kind in rows:
        values = figures.everything if kind == "all" else figures.latencies[kind]
        errors, lost, duplicated = (
            sum(counts.values()) if kind == "all" else counts[kind]
            for counts in (figures.errors, figures.lost, figures.duplicated)
        )
        print(
            f"{kind:<10}{len(values) + errors:>6}{figures.p(values, 50):>9.1f}"
            f"{figures.p(values, 99):>9.1f}{max(values, default=float('nan')):>9.1f}"
            f"{errors:>5}{lost:>6}{duplicated:>5}"
        )
    print(f"target: p99 < {P99_TARGET_MS:.0f} ms, no errors, nothing lost or duplicated: ", end="")
    print("met" if figures.ok else "MISSED")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="requests in all (default 2000)")
    parser.add_argument("--concurrency", type=int, default=50, help="in flight at once (50)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=None, help="threads per worker")
    parser.add_argument(
        "--worker-class", choices=("gevent", "gthread"), default=None, help="(collider's default)"
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="profile the server's workers into DIR (figures then not comparable); read with: "
        "python -m benchmarks.profiled_collider --report DIR",
    )
    parser.add_argument("--seed", type=int, default=0, help="the mix of kinds (default 0)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL server where a scratch database may be created and dropped",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="collider-load-") as scratch:
        workdir = Path(scratch)
        database = (
            sqlite_database(workdir)
            if args.backend == "sqlite"
            else scratch_postgres_database(args.postgres_url, "collider_load")
        )
        with database as url:
            figures = run_backend(args.backend, url, args, workdir)
    print_figures(figures)
    return 0 if figures.ok else 1


if __name__ == "__main__":
    sys.exit(main())
