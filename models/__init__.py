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

__all__ = [
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
    "IdeaStatus",
    "OptIn",
    "OrganisationType",
    "Participant",
    "ScheduledSend",
    "SchedulerLease",
    "SendState",
    "apscheduler_jobs",
]
