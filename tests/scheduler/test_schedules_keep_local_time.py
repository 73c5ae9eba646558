"""A match schedule keeps its time of day on the deployment's clock, through summer time.

Adding whole weeks in UTC moves a 09:00 Helsinki run to 10:00 when summer time begins (the
last Sunday of March) and to 08:00 when it ends (the last Sunday of October).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.local.slack import TEAM_ID
from models import MatchSchedule
from models.db import Database
from services import schedules
from services.participants import SlackUser

HELSINKI = ZoneInfo("Europe/Helsinki")
FACILITATOR = SlackUser(TEAM_ID, "UFACIL")


def _run_times(database: Database, first: datetime, every_weeks: int) -> list[datetime]:
    """When the schedule runs: its first run, then the next after each claim."""
    with database.session() as session:
        planned = schedules.set_schedule(
            session, FACILITATOR, every_weeks, False, HELSINKI, first_run=first
        )
        schedule_id = planned.id
    times = [first]
    for _ in range(2):
        with database.session() as session:
            [claimed] = schedules.claim_due(session, HELSINKI, now=times[-1])
            assert claimed.id == schedule_id
        with database.session() as session:
            times.append(session.get_one(MatchSchedule, schedule_id).next_run_at)
    return times


@pytest.mark.parametrize(
    "first",
    [
        # Mondays 09:00 in Helsinki; summer time begins on Sunday 28 March 2027.
        datetime(2027, 3, 22, 9, tzinfo=HELSINKI),
        # Summer time ends on Sunday 31 October 2027.
        datetime(2027, 10, 25, 9, tzinfo=HELSINKI),
    ],
)
def test_a_weekly_run_stays_at_nine_in_helsinki_across_summer_time(
    database: Database, first: datetime
) -> None:
    times = _run_times(database, first.astimezone(UTC), every_weeks=1)
    assert [t.astimezone(HELSINKI).hour for t in times] == [9, 9, 9], times
    assert [t.astimezone(HELSINKI).weekday() for t in times] == [0, 0, 0]
    hours_in_utc = {t.astimezone(UTC).hour for t in times}
    assert len(hours_in_utc) == 2  # one hour apart in UTC, as the wall clock moved


def test_a_run_every_four_weeks_over_the_change_stays_at_nine(database: Database) -> None:
    first = datetime(2027, 3, 1, 9, tzinfo=HELSINKI).astimezone(UTC)
    times = _run_times(database, first, every_weeks=4)
    assert [t.astimezone(HELSINKI) for t in times] == [
        datetime(2027, 3, 1, 9, tzinfo=HELSINKI),
        datetime(2027, 3, 29, 9, tzinfo=HELSINKI),
        datetime(2027, 4, 26, 9, tzinfo=HELSINKI),
    ]
