"""ORM models, the one session factory, and query functions (which never commit)."""

from models.base import Base
from models.entities import (
    HandledRequest,
    Idea,
    IdeaKind,
    IdeaStatus,
    OptIn,
    OrganisationType,
    Participant,
    Theme,
    ThemeStatus,
)

__all__ = [
    "Base",
    "HandledRequest",
    "Idea",
    "IdeaKind",
    "IdeaStatus",
    "OptIn",
    "OrganisationType",
    "Participant",
    "Theme",
    "ThemeStatus",
]
