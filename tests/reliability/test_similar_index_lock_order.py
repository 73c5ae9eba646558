"""The similar-idea index has one entry point, ``index(session)``: a request (holding a
session) and the sweeper (opening one) take the database first and the cache's lock second, so
neither can hold one while it waits for the other (a deadlock seen on SQLite under load)."""

from __future__ import annotations

import threading
import time

from models import IdeaKind
from models.db import Database
from services import ideas, similar_ideas
from services.participants import SlackUser

TEXTS = [
    "A tool library for residents: drills and ladders from the public library",
    "Borrow drills and ladders at the library",
    "A choir for seniors on Sunday afternoons",
]


def test_a_request_and_the_sweeper_never_wait_for_each_other(database: Database) -> None:
    with database.session() as session:
        made = [
            ideas.submit_idea(
                session, SlackUser("T1", f"U{n}"), ideas.IdeaInput(IdeaKind.IDEA, text)
            ).idea.id
            for n, text in enumerate(TEXTS)
        ]
    wanted = [similar_ideas.Wanted(made[0], 0, TEXTS[0], "T1")]
    done: list[str] = []

    def sweep() -> None:
        similar_ideas.search_many(database, wanted)
        done.append("sweeper")

    def request() -> None:
        with database.session() as session:  # a request's session, held from the start
            sweeper.start()
            # Give the sweeper the chance to take the cache's lock first, if it ever did.
            deadline = time.monotonic() + 0.5
            while not similar_ideas._cache._lock.locked() and time.monotonic() < deadline:
                time.sleep(0.01)
            similar_ideas.suggestions_for(session, made[1])
        done.append("request")

    sweeper = threading.Thread(target=sweep, daemon=True)
    requester = threading.Thread(target=request, daemon=True)
    requester.start()
    requester.join(timeout=10)
    sweeper.join(timeout=10)
    assert sorted(done) == ["request", "sweeper"], "a request and the sweeper deadlocked"
