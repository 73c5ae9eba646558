"""Participants: who they are, where they work, which language they read."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from i18n import LANGUAGES, normalize_language
from models import OrganisationType, Participant, ProfileRole
from models.db import Database
from models.languages import StoredLanguage, stored_language
from models.queries import find_participant, insert_ignoring_conflict
from services.errors import InvalidInput
from services.text import clean_text

MAX_ORGANISATION = 120
MAX_NAME = 255


@dataclass(frozen=True)
class SlackUser:
    """Who sent a request: enough to find or create their participant row."""

    team_id: str
    user_id: str
    name: str | None = None


def ensure_participant(session: Session, user: SlackUser) -> Participant:
    """The participant for a Slack user, created on first sight (safe under concurrency)."""
    participant = find_participant(session, user.team_id, user.user_id)
    if participant is None:
        insert_ignoring_conflict(
            session,
            Participant.__table__,  # type: ignore[arg-type]
            {
                "team_id": user.team_id,
                "user_id": user.user_id,
                "display_name": display_name(user.name),
                "opt_in": "in",
            },
        )
        participant = find_participant(session, user.team_id, user.user_id)
        assert participant is not None
    return participant


def display_name(name: str | None) -> str | None:
    """A name as it may be stored: cleaned, on one line, cut to the column (never refused)."""
    return clean_text((name or "")[: MAX_NAME * 2], one_line=True)[:MAX_NAME] or None


def language_of(participant: Participant | None, default: str) -> str:
    """The language chosen in the profile, else the one of the Slack locale, else ``default``."""
    if participant is None:
        return default
    return known_language(participant.language, participant.slack_locale, default) or default


def known_language(language: str | None, slack_locale: str | None, default: str) -> str | None:
    """As ``language_of``, from a row's two columns; None when both are empty (then Slack may
    be asked for the locale)."""
    if not (language or slack_locale):
        return None
    if language in LANGUAGES:
        return language
    return normalize_language(slack_locale, default)


@dataclass(frozen=True)
class SenderLanguage:
    # None: no row (a first contact, or someone forgotten).
    participant_id: int | None
    # None: the row names no language and no Slack locale yet.
    language: str | None


def sender_language(database: Database, user: SlackUser, default: str) -> SenderLanguage:
    """What the database knows of the language of the person who sent a request.

    Read on nearly every request, so in one driver statement; on PostgreSQL without a
    transaction around it (a single SELECT needs none): one round trip.
    """
    dialect = database.engine.dialect
    stored = database.in_driver_transaction(
        lambda cursor: stored_language(cursor, dialect, user.team_id, user.user_id),
        single_statement=dialect.name == "postgresql",
    )
    return sender_language_of(stored, default)


def sender_language_of(stored: StoredLanguage | None, default: str) -> SenderLanguage:
    """What the row ``stored`` (None: no row) says of its person's language."""
    if stored is None:
        return SenderLanguage(None, None)
    language = known_language(stored.language, stored.slack_locale, default)
    return SenderLanguage(stored.participant_id, language)


def remember_slack_locale(session: Session, participant_id: int, locale: str) -> None:
    participant = session.get(Participant, participant_id)
    if participant is not None and participant.forgotten_at is None:
        participant.slack_locale = locale[:16]


@dataclass(frozen=True)
class ProfileUpdate:
    organisation: str | None
    organisation_type: str | None
    language: str | None
    # Student, official, councillor, other: the programme report splits participants by it.
    role: str | None = None


def update_profile(session: Session, user: SlackUser, update: ProfileUpdate) -> Participant:
    organisation = (
        clean_text(update.organisation, field="organisation", limit=MAX_ORGANISATION, one_line=True)
        or None
    )
    org_type = None
    if update.organisation_type:
        try:
            org_type = OrganisationType(update.organisation_type)
        except ValueError:
            raise InvalidInput("errors.bad_choice", field="organisation_type") from None
    if update.language and update.language not in LANGUAGES:
        raise InvalidInput("errors.bad_choice", field="language")
    try:
        role = ProfileRole(update.role) if update.role else None
    except ValueError:
        raise InvalidInput("errors.bad_choice", field="role") from None
    participant = ensure_participant(session, user)
    participant.organisation = organisation
    participant.organisation_type = org_type
    participant.language = update.language or None
    participant.role = role
    return participant
