"""``collider doctor``: check an installation, and say how to fix what is wrong.

Run it after installing the app (and after every update): it asks Slack who the token is and
which scopes it holds, compares manifest.yml with the code, checks that the database is
reachable and migrated, that the poll answer key is set, and that no answers are stored under
a key that was changed without declaring the old one. Exit code 0 when all is well,
1 when something needs fixing.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.commands import manifest_drift as drift
from bot.settings import Settings

if TYPE_CHECKING:
    from models.db import Database

APPS_PAGE = "https://api.slack.com/apps"
REINSTALL = (
    f"in {APPS_PAGE} → your app → OAuth & Permissions → Scopes → Bot Token Scopes (or paste "
    "manifest.yml under App Manifest), then press 'Reinstall to Workspace' and put the new "
    "Bot User OAuth Token into SLACK_BOT_TOKEN"
)
UPDATE_MANIFEST = f"then paste manifest.yml into {APPS_PAGE} → your app → App Manifest"
BAD_TOKEN = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}


@dataclass(frozen=True)
class Finding:
    """One check: passed, or what is wrong and how to fix it."""

    check: str
    ok: bool
    detail: str
    fix: str = ""

    def __str__(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        text = f"[{mark}] {self.check}: {self.detail}"
        return text + (f"\n       fix: {self.fix}" if self.fix else "")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "doctor",
        help="check the installation: Slack token and scopes, manifest, database, answer key",
        description="Check a real installation and print each problem with its fix. Exit code "
        "1 when something needs fixing.",
    )
    parser.add_argument(
        "--manifest",
        type=Path,
        default=drift.MANIFEST,
        help=f"the app manifest to compare with the code (default: {drift.MANIFEST})",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    findings = diagnose(args.settings, args.manifest)
    for finding in findings:
        print(finding)
    problems = sum(not finding.ok for finding in findings)
    print(f"\n{problems} problem(s) to fix." if problems else "\nAll checks passed.")
    return 1 if problems else 0


def diagnose(settings: Settings, manifest_path: Path = drift.MANIFEST) -> list[Finding]:
    try:
        manifest = drift.load_manifest(manifest_path)
    except (OSError, ValueError, KeyError) as error:
        manifest = None
        read = Finding(
            "manifest", False, f"cannot read {manifest_path}: {error}", "give --manifest"
        )
    findings = [] if manifest is not None else [read]
    findings += check_slack(settings, manifest)
    if manifest is not None:
        findings += check_manifest(manifest)
    database = check_database(settings)
    findings.append(database)
    findings.append(check_answer_key(settings))
    if database.ok:
        findings.append(check_answer_key_changes(settings))
    return findings


def needed_scopes(manifest: dict[str, Any] | None) -> dict[str, set[str]]:
    """Scope → why it is needed (the methods the code calls, or the manifest asking for it)."""
    needed = {scope: set(methods) for scope, methods in drift.scopes_needed_by_code().items()}
    for scope in drift.declared_scopes(manifest) if manifest else ():
        needed.setdefault(scope, set()).add("declared in manifest.yml")
    return needed


def _header(headers: dict[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) else value)
    return None


def check_slack(settings: Settings, manifest: dict[str, Any] | None) -> list[Finding]:
    from slack_sdk.errors import SlackApiError

    from bot.slack_client import make_web_client

    if not settings.slack_bot_token:
        return [Finding("slack token", False, "SLACK_BOT_TOKEN is not set", _token_fix())]
    try:
        response = make_web_client(settings, timeout=10).auth_test()
    except SlackApiError as error:
        code = str(error.response.get("error"))
        fix = _token_fix() if code in BAD_TOKEN else f"see Slack's answer {code!r} above"
        return [Finding("slack auth.test", False, f"Slack refused the token ({code})", fix)]
    except OSError as error:
        where = settings.slack_api_url or "https://slack.com/api/"
        return [
            Finding(
                "slack auth.test",
                False,
                f"Slack cannot be reached at {where}: {error}",
                "check the network, a proxy (HTTPS_PROXY) or SLACK_API_URL",
            )
        ]
    who = f"bot {response.get('user')} ({response.get('user_id')}) in {response.get('team')}"
    findings = [Finding("slack auth.test", True, who)]
    granted_header = _header(dict(response.headers), "x-oauth-scopes")
    if granted_header is None:
        return findings + [
            Finding("slack scopes", False, "Slack did not say which scopes the token has", "")
        ]
    granted = {scope.strip() for scope in granted_header.split(",") if scope.strip()}
    return findings + _scope_findings(granted, needed_scopes(manifest))


def _scope_findings(granted: set[str], needed: dict[str, set[str]]) -> list[Finding]:
    missing = sorted(set(needed) - granted)
    findings = [
        Finding(
            "slack scopes",
            False,
            f"the token lacks the scope {scope} (needed for: {', '.join(sorted(needed[scope]))})",
            f"add {scope} {REINSTALL}",
        )
        for scope in missing
    ]
    if not missing:
        findings.append(Finding("slack scopes", True, f"{len(granted)} scopes cover what it needs"))
    return findings


def _token_fix() -> str:
    return (
        f"copy the Bot User OAuth Token (xoxb-…) from {APPS_PAGE} → your app → OAuth & "
        "Permissions into SLACK_BOT_TOKEN (environment or .env); install the app first if "
        "there is none"
    )


def check_manifest(manifest: dict[str, Any]) -> list[Finding]:
    findings = []
    for kind in drift.drifts(manifest):
        for name in sorted(kind.only_in_manifest):
            findings.append(
                Finding(
                    "manifest",
                    False,
                    f"manifest.yml declares the {kind.kind[:-1]} {name}, which the code does "
                    "not handle (Slack would show it, and answer with an error)",
                    f"remove it from manifest.yml, {UPDATE_MANIFEST}",
                )
            )
        for name in sorted(kind.only_in_code):
            findings.append(
                Finding(
                    "manifest",
                    False,
                    f"the code handles the {kind.kind[:-1]} {name}, which manifest.yml does not "
                    "declare (Slack never sends it)",
                    f"add it to manifest.yml, {UPDATE_MANIFEST}",
                )
            )
    findings += _manifest_scope_findings(manifest)
    if not findings:
        findings.append(Finding("manifest", True, "commands, shortcuts and events match the code"))
    return findings


def _manifest_scope_findings(manifest: dict[str, Any]) -> Iterable[Finding]:
    declared = drift.declared_scopes(manifest)
    for scope, methods in sorted(drift.scopes_needed_by_code().items()):
        if scope not in declared:
            yield Finding(
                "manifest",
                False,
                f"the code calls {', '.join(sorted(methods))}, which needs the scope {scope} "
                "that manifest.yml does not ask for",
                f"add {scope} under oauth_config.scopes.bot, {UPDATE_MANIFEST}, and reinstall",
            )
    home = manifest["features"].get("app_home") or {}
    writable = home.get("messages_tab_enabled") and not home.get("messages_tab_read_only_enabled")
    if writable and "message.im" not in drift.registered("event"):
        yield Finding(
            "manifest",
            False,
            "the Messages tab takes messages, but nothing answers them",
            f"set messages_tab_read_only_enabled: true, {UPDATE_MANIFEST}",
        )


def check_database(settings: Settings) -> Finding:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from models.db import Database, alembic_config, redacted_url

    where = redacted_url(settings.database_url)
    database = Database(settings.database_url)
    try:
        with database.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as error:  # noqa: BLE001 - any driver's failure, reported plainly
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        return Finding(
            "database",
            False,
            f"cannot connect to {where}: {first_line}",
            "check DATABASE_URL, and that the database server runs and lets this user in",
        )
    finally:
        database.dispose()
    heads = set(ScriptDirectory.from_config(alembic_config(settings.database_url)).get_heads())
    if current != heads:
        at = ", ".join(sorted(current)) or "no revision (empty)"
        return Finding(
            "database",
            False,
            f"{where} is at {at}; the code expects {', '.join(sorted(heads))}",
            "run `collider db upgrade` (safe to repeat)",
        )
    return Finding("database", True, f"{where} is reachable and migrated")


def check_answer_key(settings: Settings) -> Finding:
    if settings.answer_key:
        return Finding("answer key", True, "COLLIDER_ANSWER_KEY is set")
    return Finding(
        "answer key",
        False,
        "COLLIDER_ANSWER_KEY is not set: anonymous poll answers are keyed with a key kept in "
        "the database, so whoever can read the database could tell who answered what",
        "set COLLIDER_ANSWER_KEY to 32+ random characters (`openssl rand -hex 32`) in the "
        "environment or .env, kept outside the database (answers given so far stay findable: "
        "the stored key is kept as an earlier one)",
    )


def check_answer_key_changes(settings: Settings, database: Database | None = None) -> Finding:
    """Answers stored under a key that is neither the current one nor a declared earlier one
    are lost to forget-me and my-data: say so while the old key can still be found. On
    ``database`` when the caller has one open (``collider run``), else on one of its own."""
    from models.db import Database
    from services.answer_keys import undeclared_keys

    own = database is None
    database = Database(settings.database_url) if database is None else database
    try:
        with database.reading() as session:
            lost = undeclared_keys(session, settings)
    finally:
        if own:
            database.dispose()
    if not lost:
        return Finding("answer key changes", True, "every stored answer's key is known")
    return Finding(
        "answer key changes",
        False,
        f"COLLIDER_ANSWER_KEY changed: answers are stored under {lost} earlier key(s) that "
        "COLLIDER_PREVIOUS_ANSWER_KEYS does not name",
        "put the old key in COLLIDER_PREVIOUS_ANSWER_KEYS (comma-separated), or forget cannot "
        "erase their answers, and my-data leaves them out",
    )
