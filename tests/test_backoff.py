"""The pause between tries of a send Slack did not take: doubling from a minute, capped."""

from __future__ import annotations

from datetime import timedelta

from services.delivery import backoff


def test_the_pause_doubles_to_its_cap() -> None:
    assert [backoff(n) for n in (1, 2, 3, 7, 8)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 60, 60)
    ]
    assert backoff(12, longest=timedelta(days=1)) == timedelta(days=1)
    assert backoff(11, longest=timedelta(days=1)) == timedelta(minutes=1024)


def test_a_long_run_of_failures_never_overflows_the_pause() -> None:
    # App Home's chart deletions kept their own formula, which built 2**attempt minutes before
    # capping: past about 30 tries timedelta overflowed and the failure was never recorded.
    assert backoff(10_000, longest=timedelta(days=1)) == timedelta(days=1)
