"""Carry out one confirmed round in a process of its own, as a bot process does after a confirm
click (production pacing, settings from the environment). The crash test SIGKILLs it mid-way.

    python -m tests.reliability.round_child ROUND_ID
"""

from __future__ import annotations

import logging
import sys

from bot.scheduling import outbound
from bot.settings import load_settings
from models.db import Database
from services.round_workflow import carry_out


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = load_settings(env_file=None)
    database = Database(settings.database_url)
    outcome = carry_out(outbound(settings, database), int(sys.argv[1]))
    print(f"outcome: {outcome}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
