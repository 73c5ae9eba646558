"""ORM models, the one session factory, and query functions (which never commit)."""

from models.base import Base
from models.entities import (
    HandledRequest,
    Idea,
    IdeaKind,
    IdeaStage,
    IdeaStatus,
    OptIn,
    OrganisationType,
    Participant,
    Stage,
    Theme,
    ThemeStatus,
)

__all__ = [
    "Base",
    "HandledRequest",
    "Idea",
    "IdeaKind",
    "IdeaStage",
    "IdeaStatus",
    "OptIn",
    "OrganisationType",
    "Participant",
    "Stage",
    "Theme",
    "ThemeStatus",
]
