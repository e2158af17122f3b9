"""All tables, imported here so Alembic and `Base.metadata` see every one."""

from bot.db.models.aftercare import (
    CandidateFeedback,
    EmployerFeedback,
    MeetingReport,
    Outcome,
    Questionnaire,
)
from bot.db.models.broadcasts import Broadcast
from bot.db.models.events import EligibilityQuestion, Event, Registration, Site
from bot.db.models.inbox import InboxUpdate
from bot.db.models.outbox import OutboxMessage
from bot.db.models.people import CandidateProfile, EmployerProfile, Person
from bot.db.models.persistence import PersistedState
from bot.db.models.planning import Plan

__all__ = [
    "Broadcast",
    "CandidateFeedback",
    "CandidateProfile",
    "EligibilityQuestion",
    "EmployerFeedback",
    "EmployerProfile",
    "Event",
    "InboxUpdate",
    "MeetingReport",
    "OutboxMessage",
    "Outcome",
    "PersistedState",
    "Person",
    "Plan",
    "Questionnaire",
    "Registration",
    "Site",
]
