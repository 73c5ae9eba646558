"""Scheduled work: APScheduler 3 with its jobs in the project's database, one leader among many
processes, and exactly-once sends.

- ``scheduler.runtime``: ``build_scheduler``, ``JobSpec``, ``reconcile``, ``SchedulerService``.
- ``scheduler.leadership``: who may run jobs (PostgreSQL advisory lock, or a lease row).
- ``scheduler.jobs``: the job functions, referenced by text (``"scheduler.jobs:send_poll"``).
- ``scheduler.context``: what a job needs (the database, a Slack gateway), set at start.
- ``scheduler.outbox``: claim a send before calling Slack, so it never goes out twice.
"""
