"""Employers' cards and after-event answers written straight into the bot's database.

The card conversation belongs to another feature; these tests only need a finished card, so
`add_card` stores its questionnaire and its answers with the bot's own `Database` and calls
`card_completed` as that conversation does, in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.context import services
from bot.db.models.aftercare import (
    CandidateFeedback,
    EmployerFeedback,
    MeetingReport,
    Outcome,
    Questionnaire,
    QuestionnaireKind,
)
from bot.db.models.aftercare import QuestionnaireStatus as Status
from bot.outbox import wake
from bot.services.aftercare.review import card_completed
from tests.conftest import BotRunner

LEVELS = {"cv": 4, "oral": 3, "non_verbal": 2, "soft_skills": 1, "technical": None}


async def add_card(
    runner: BotRunner,
    event_id: int,
    employer_id: int,
    candidate_id: int,
    *,
    strength: str,
    tip: str,
    next_step: str = "interview",
    staff_ids: Sequence[int] = (),
) -> int:
    """A complete card (questionnaire answered, levels, texts), then `card_completed`."""
    assert runner.application is not None
    database = services(runner.application).database
    async with database.session() as session:
        questionnaire = Questionnaire(
            key=f"test-card:{event_id}:{employer_id}:{candidate_id}",
            kind=QuestionnaireKind.EMPLOYER_CARD,
            event_id=event_id,
            person_id=employer_id,
            about_id=candidate_id,
            status=Status.ANSWERED,
        )
        session.add(questionnaire)
        await session.flush()
        feedback = EmployerFeedback(
            questionnaire_id=questionnaire.id,
            event_id=event_id,
            employer_id=employer_id,
            candidate_id=candidate_id,
            strength=strength,
            tip=tip,
            next_step=next_step,
            **LEVELS,
        )
        session.add(feedback)
        await session.flush()
        feedback_id = feedback.id
        await card_completed(session, feedback_id, staff_ids)
    wake(runner.application)
    return feedback_id


async def add_answers(
    runner: BotRunner,
    event_id: int,
    person_id: int,
    *,
    comment: str,
    absent_ids: Sequence[int] = (),
    kind: str = QuestionnaireKind.CANDIDATE_MEETING,
) -> int:
    """A questionnaire answered: "yes, it happened" (or who was absent), a rating of 4 with
    a comment, and where the person stands 30 days later; returns the questionnaire id."""
    assert runner.application is not None
    database = services(runner.application).database
    async with database.session() as session:
        questionnaire = Questionnaire(
            key=f"test-answers:{event_id}:{person_id}",
            kind=kind,
            event_id=event_id,
            person_id=person_id,
            round=1,
            status=Status.ANSWERED,
        )
        session.add(questionnaire)
        await session.flush()
        session.add(
            MeetingReport(
                questionnaire_id=questionnaire.id,
                event_id=event_id,
                answer="absent" if absent_ids else "yes",
                absent_ids=list(absent_ids),
            )
        )
        if kind == QuestionnaireKind.CANDIDATE_MEETING:
            session.add(
                CandidateFeedback(
                    questionnaire_id=questionnaire.id,
                    event_id=event_id,
                    rating=4,
                    helped=["cv"],
                    comment=comment,
                )
            )
            session.add(
                Outcome(
                    event_id=event_id,
                    person_id=person_id,
                    offset_days=30,
                    situation="job",
                    contract="cdd",
                    duration="1to6",
                    from_event="yes",
                    matches_wishes="partly",
                )
            )
        return questionnaire.id
