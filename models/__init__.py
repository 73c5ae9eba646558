"""ORM models, the one session factory, and query functions (which never commit)."""

from models.base import Base
from models.collaboration import IdeaCoauthor, IdeaLink
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
from models.polls import (
    AppSecret,
    DeliveryState,
    Poll,
    PollAnswer,
    PollDelivery,
    PollState,
    PollTemplate,
    QuestionKind,
)
from models.rounds import (
    DoNotMatch,
    Facilitator,
    MatchSchedule,
    Round,
    RoundNotice,
    RoundStatus,
    StepState,
    ThinkTank,
    ThinkTankMember,
)
from models.scheduling import ScheduledSend, SchedulerLease, SendState, apscheduler_jobs
from models.suggestions import PendingSuggestion

__all__ = [
    "IdeaCoauthor",
    "IdeaLink",
    "AppSecret",
    "DeliveryState",
    "Poll",
    "PollAnswer",
    "PollDelivery",
    "PollState",
    "PollTemplate",
    "QuestionKind",
    "DoNotMatch",
    "Facilitator",
    "MatchSchedule",
    "Round",
    "RoundNotice",
    "RoundStatus",
    "StepState",
    "ThinkTank",
    "ThinkTankMember",
    "Base",
    "HandledRequest",
    "Idea",
    "IdeaKind",
    "IdeaStage",
    "IdeaStatus",
    "OptIn",
    "OrganisationType",
    "Participant",
    "PendingSuggestion",
    "ScheduledSend",
    "SchedulerLease",
    "SendState",
    "apscheduler_jobs",
    "Stage",
    "Theme",
    "ThemeStatus",
]
