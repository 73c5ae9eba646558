"""The stored things: participants, their ideas and needs, and handled Slack requests."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Enum as SAEnum
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


def _enum(cls: type[enum.Enum]) -> SAEnum:
    # Store the readable value, and as a plain string so new members need no ALTER TYPE.
    return SAEnum(
        cls,
        native_enum=False,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class OrganisationType(enum.StrEnum):
    COMPANY = "company"
    RESIDENT = "resident"
    EDUCATION = "education"
    CITY = "city"
    RESEARCH = "research"
    OTHER = "other"


class OptIn(enum.StrEnum):
    IN = "in"
    PAUSED = "paused"
    OUT = "out"


class IdeaKind(enum.StrEnum):
    IDEA = "idea"
    NEED = "need"


class IdeaStatus(enum.StrEnum):
    OPEN = "open"
    WITHDRAWN = "withdrawn"
    # Closed by whoever ran the idea box it came from (Decidim: rejected): kept, not open.
    CLOSED = "closed"


class Stage(enum.StrEnum):
    """Where the work on an idea stands, from idea to adopted service (or stopped)."""

    IDEA = "idea"
    THINK_TANK = "think_tank"
    EXPERIMENT = "experiment"
    PILOT = "pilot"
    ADOPTED = "adopted"
    STOPPED = "stopped"


class ProfileRole(enum.StrEnum):
    """The kind of person, where a profile says it (the programme report splits by it)."""

    STUDENT = "student"
    OFFICIAL = "official"
    COUNCILLOR = "councillor"
    OTHER = "other"


class ThemeStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Participant(Base):
    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str | None] = mapped_column(String(255))
    organisation: Mapped[str | None] = mapped_column(String(255))
    organisation_type: Mapped[OrganisationType | None] = mapped_column(_enum(OrganisationType))
    role: Mapped[ProfileRole | None] = mapped_column(_enum(ProfileRole))
    language: Mapped[str | None] = mapped_column(String(8))
    # The locale Slack reports (``fi-FI``), fetched once; used when no language was chosen.
    slack_locale: Mapped[str | None] = mapped_column(String(16))
    opt_in: Mapped[OptIn] = mapped_column(_enum(OptIn), default=OptIn.IN)
    paused_until: Mapped[datetime | None]
    # Set when the person asked to be forgotten: the row stays, as an anonymous tombstone, so
    # that counts and groups stay consistent.
    forgotten_at: Mapped[datetime | None]
    # Someone known only from an imported file (a Decidim author, a form respondent): shown by
    # name, never sent to Slack. ``user_id`` is then made up ("offline-..."), never a Slack id.
    is_offline: Mapped[bool] = mapped_column(default=False, server_default=false())
    # An offline participant's e-mail from the file: how a Slack member can claim their ideas.
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    # The Slack user (found by e-mail) who was offered this offline participant's ideas.
    claim_offered_to: Mapped[str | None] = mapped_column(String(32))
    # The Slack user who said these ideas are not theirs: never offered to them again.
    claim_declined_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    ideas: Mapped[list[Idea]] = relationship(back_populates="author")


class Idea(Base):
    """An idea or a need, written by one participant."""

    __tablename__ = "ideas"
    __table_args__ = (
        Index("ix_ideas_status_created_at", "status", "created_at"),
        # Covers the programme report's counts by period, kind, team and theme: read from the
        # index alone, without a lookup per idea (SQLite 1.1 s -> 0.25 s for 100k ideas).
        Index("ix_ideas_report", "status", "created_at", "kind", "author_id", "theme_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    kind: Mapped[IdeaKind] = mapped_column(_enum(IdeaKind))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # A free label (typed in the form, or imported); ``theme_id`` links a facilitator's theme.
    theme: Mapped[str | None] = mapped_column(String(100))
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"), index=True)
    # The Slack message an idea was saved from ("Save as idea"), as its permalink.
    source_url: Mapped[str | None] = mapped_column(String(500))
    # An imported row's identity in its workspace: its source and id (Decidim), else a hash
    # of its content (``services.importing.import_key``). Importing the same ideas again, even
    # from a newer export layout, adds nothing; another workspace may import them all the same.
    import_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Where an imported idea came from ("decidim:omastadi.hel.fi", "file"), its id there and
    # its state there (Decidim: accepted, rejected, evaluating, withdrawn ...).
    source: Mapped[str | None] = mapped_column(String(100))
    source_id: Mapped[str | None] = mapped_column(String(64))
    source_state: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[IdeaStatus] = mapped_column(_enum(IdeaStatus), default=IdeaStatus.OPEN)
    # The latest of ``stages``, kept here so that counting per stage needs no subquery.
    stage: Mapped[Stage] = mapped_column(_enum(Stage), default=Stage.IDEA)
    language: Mapped[str | None] = mapped_column(String(8))
    # Case-folded title, body and theme: SQLite's lower() folds ASCII only, so ä/ö/å searches
    # need a folded copy to be portable.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    author: Mapped[Participant] = relationship(back_populates="ideas")
    challenge: Mapped[Theme | None] = relationship()
    stages: Mapped[list[IdeaStage]] = relationship(
        back_populates="idea", order_by="IdeaStage.changed_at"
    )


class IdeaStage(Base):
    """One move of an idea through the pipeline, with a short note."""

    __tablename__ = "idea_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"), index=True)
    stage: Mapped[Stage] = mapped_column(_enum(Stage))
    note: Mapped[str] = mapped_column(Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    idea: Mapped[Idea] = relationship(back_populates="stages")


class Theme(Base):
    """A challenge facilitators open for a while (e.g. a goal of the city strategy)."""

    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The workspace the theme belongs to: one deployment may serve several (an org-wide
    # install), and a theme is seen, chosen and closed in its own workspace only.
    team_id: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")
    opens_on: Mapped[date]
    closes_on: Mapped[date | None]
    status: Mapped[ThemeStatus] = mapped_column(_enum(ThemeStatus), default=ThemeStatus.OPEN)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    # The strategy goal the theme serves (models/programme.py).
    strategy_goal_id: Mapped[int | None] = mapped_column(ForeignKey("strategy_goals.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[Participant | None] = relationship()

    def is_open_on(self, day: date) -> bool:
        return (
            self.status is ThemeStatus.OPEN
            and self.opens_on <= day
            and (self.closes_on is None or day <= self.closes_on)
        )


class HandledRequest(Base):
    """A Slack request already acted on; the unique key makes retried deliveries harmless."""

    __tablename__ = "handled_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    result: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
