"""Ideas that meet: co-authors who joined an idea, and ideas linked as related.

Both come only from an explicit choice of the person (nothing is merged silently).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.entities import Idea, Participant


class IdeaCoauthor(Base):
    __tablename__ = "idea_coauthors"
    __table_args__ = (UniqueConstraint("idea_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    # The idea the co-author withdrew when joining this one, kept for the record.
    joined_from_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    idea: Mapped[Idea] = relationship(foreign_keys=[idea_id])
    participant: Mapped[Participant] = relationship()


class IdeaLink(Base):
    """Two ideas marked as related; stored once, with the smaller id first."""

    __tablename__ = "idea_links"
    __table_args__ = (
        UniqueConstraint("idea_id", "related_id"),
        CheckConstraint("idea_id < related_id", name="ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"), index=True)
    related_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SimilarSuggestion(Base):
    """A similar idea the bot showed the author of ``idea_id``. Only such pairs may be joined or
    linked: a crafted click naming any other pair is refused. No person is stored here: the
    author is the one of ``idea_id``."""

    __tablename__ = "similar_suggestions"
    __table_args__ = (UniqueConstraint("idea_id", "suggested_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"), index=True)
    suggested_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
