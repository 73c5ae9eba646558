"""Scheduled work: APScheduler 3 with its jobs in the project's database, one leader among many
processes. Exactly-once sends live in ``services.delivery``.

- ``scheduler.runtime``: ``build_scheduler``, ``JobSpec``, ``reconcile``, ``SchedulerService``.
- ``scheduler.leadership``: who may run jobs (PostgreSQL advisory lock, or a lease row).
- ``scheduler.specs``: the jobs the bot wants (``configured_jobs``), and ``reconcile``.
- ``scheduler.jobs``: the job functions, referenced by text (``"scheduler.jobs:send_poll"``);
  each calls one use case in ``services/``.
- ``scheduler.context``: what a job needs (the database, the ``Outbound``), set at start.
"""
