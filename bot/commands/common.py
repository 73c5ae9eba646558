"""What every CLI command does first: settings, logging, the database."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings, SettingsError, load_settings
from i18n import t

if TYPE_CHECKING:
    from models.db import Database


class CommandFailed(Exception):
    """Stop the command with this message and exit code 2 (no traceback for people)."""


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        raise CommandFailed(str(error)) from None


def open_database(settings: Settings, *, upgrade: bool = True) -> Database:
    # Imported here: commands such as match-csv start without the database stack.
    from models.db import Database

    database = Database(settings.database_url)
    if upgrade:
        try:
            database.upgrade()
        except Exception as error:  # noqa: BLE001 - report any connection/migration failure plainly
            # Like SettingsError: for whoever installs the bot, in English (README, Languages).
            raise CommandFailed(
                f"Could not prepare the database at DATABASE_URL: {error}"
            ) from None
    return database


def unwritable(path: Path, error: OSError, language: str) -> CommandFailed:
    """The failure to raise when a command cannot write its output, in the user's language."""
    reason = error.strerror or str(error)
    return CommandFailed(t("cli.unwritable", language, path=str(path), reason=reason))


def fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2
