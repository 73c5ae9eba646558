"""One validated settings object, loaded once from the environment and ``.env``."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from i18n import LANGUAGES

DEFAULT_DATABASE_URL = "sqlite:///collider.sqlite3"
# The programme's home: schedules run on its wall clock, and people Slack gives no zone for
# count their days in it.
DEFAULT_TIME_ZONE = "Europe/Helsinki"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names every offending variable."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_api_url: str | None = None
    facilitators: frozenset[str] = frozenset()
    default_language: str = "en"
    # An IANA zone name (COLLIDER_TIME_ZONE), checked when the settings are loaded.
    time_zone: str = DEFAULT_TIME_ZONE
    listener_threads: int = 16
    worker_threads: int = 4
    log_level: str = "INFO"
    # Whether `collider run` also runs the scheduler (only the elected instance runs jobs); off
    # when a separate `collider scheduler` process does it.
    scheduler: bool = True
    # Keys the respondent hash of anonymous poll answers (services/polls.py). Unset: a random
    # key is generated and kept in the database on first use.
    answer_key: str | None = field(default=None, repr=False)
    # Keys used before the current one (a rotation): answers made under them stay findable.
    previous_answer_keys: tuple[str, ...] = field(default=(), repr=False)

    def require_slack(self, *, http: bool) -> None:
        """Fail fast, naming every variable that a real Slack connection needs."""
        problems = []
        if not self.slack_bot_token:
            problems.append("SLACK_BOT_TOKEN is required to connect to Slack (xoxb-...)")
        if http and not self.slack_signing_secret:
            problems.append("SLACK_SIGNING_SECRET is required in HTTP mode (--http)")
        if not http and not self.slack_app_token:
            problems.append("SLACK_APP_TOKEN is required in Socket Mode (xapp-...); or use --http")
        if problems:
            raise SettingsError(problems)


def _int(
    env: Mapping[str, str], name: str, default: int, low: int, high: int, problems: list[str]
) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name} must be a whole number, got {raw!r}")
        return default
    if not low <= value <= high:
        problems.append(f"{name} must be between {low} and {high}, got {value}")
    return value


def _answer_keys(env: Mapping[str, str], problems: list[str]) -> tuple[str | None, tuple[str, ...]]:
    """The answer key and the earlier ones (secrets: a problem names a key by position only)."""
    answer_key = env.get("COLLIDER_ANSWER_KEY", "").strip() or None
    if answer_key and len(answer_key) < 32:
        problems.append(
            "COLLIDER_ANSWER_KEY must be at least 32 characters (e.g. `openssl rand -hex 32`)"
        )
    previous = tuple(
        key.strip()
        for key in env.get("COLLIDER_PREVIOUS_ANSWER_KEYS", "").split(",")
        if key.strip()
    )
    short = [number for number, key in enumerate(previous, start=1) if len(key) < 32]
    if short:
        problems.append(
            "COLLIDER_PREVIOUS_ANSWER_KEYS: each key must be at least 32 characters (not key "
            f"{', '.join(map(str, short))}); separate the keys with commas"
        )
    return answer_key, previous


def _time_zone(name: str, problems: list[str]) -> str:
    try:
        # Checked here, not with services.local_time: `match-csv` loads settings without services.
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            f"COLLIDER_TIME_ZONE must be a time zone name such as Europe/Helsinki, not {name!r}"
        )
    return name


def settings_from_mapping(env: Mapping[str, str]) -> Settings:
    """Validate a mapping of variables; raise SettingsError naming every problem at once."""
    problems: list[str] = []

    def text(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    bot_token = text("SLACK_BOT_TOKEN")
    if bot_token and not bot_token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN must start with 'xoxb-' (a bot token)")
    app_token = text("SLACK_APP_TOKEN")
    if app_token and not app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN must start with 'xapp-' (an app-level token)")

    database_url = text("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", database_url):
        problems.append("DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL")
    elif database_url.startswith(("postgresql://", "postgres://")):
        problems.append("DATABASE_URL: write postgresql+psycopg:// (psycopg 3) for PostgreSQL")

    api_url = text("SLACK_API_URL")
    if api_url:
        if not re.match(r"^https?://", api_url):
            problems.append("SLACK_API_URL must be an http(s) URL, e.g. https://slack.com/api/")
        elif not api_url.endswith("/"):
            api_url += "/"

    facilitators = frozenset(
        item.strip() for item in env.get("COLLIDER_FACILITATORS", "").split(",") if item.strip()
    )
    bad_ids = sorted(user for user in facilitators if not _USER_ID.match(user))
    if bad_ids:
        problems.append(
            "COLLIDER_FACILITATORS must be Slack user ids separated by commas (e.g. U012AB3CD), "
            f"not {', '.join(bad_ids)}"
        )

    language = (text("COLLIDER_DEFAULT_LANGUAGE") or "en").lower()
    if language not in LANGUAGES:
        problems.append(f"COLLIDER_DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}")

    time_zone = _time_zone(text("COLLIDER_TIME_ZONE") or DEFAULT_TIME_ZONE, problems)

    log_level = (text("COLLIDER_LOG_LEVEL") or "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        problems.append("COLLIDER_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")

    scheduler = (text("COLLIDER_SCHEDULER") or "on").lower()
    if scheduler not in {"on", "off"}:
        problems.append(f"COLLIDER_SCHEDULER must be on or off, got {scheduler!r}")

    answer_key, previous_answer_keys = _answer_keys(env, problems)
    listener_threads = _int(env, "COLLIDER_LISTENER_THREADS", 16, 1, 256, problems)
    worker_threads = _int(env, "COLLIDER_WORKER_THREADS", 4, 1, 64, problems)

    if problems:
        raise SettingsError(problems)
    return Settings(
        database_url=database_url,
        slack_bot_token=bot_token,
        slack_app_token=app_token,
        slack_signing_secret=text("SLACK_SIGNING_SECRET"),
        slack_api_url=api_url,
        facilitators=facilitators,
        default_language=language,
        time_zone=time_zone,
        listener_threads=listener_threads,
        worker_threads=worker_threads,
        log_level=log_level,
        scheduler=scheduler != "off",
        answer_key=answer_key,
        previous_answer_keys=previous_answer_keys,
    )


def load_settings(env_file: str | Path | None = ".env") -> Settings:
    """Read ``.env`` (if present) under the real environment, which wins, and validate."""
    merged: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ)
    return settings_from_mapping(merged)
