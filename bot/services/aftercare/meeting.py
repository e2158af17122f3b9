"""After a meeting: "did it happen?", candidates' feedback and employers' cards, stored.

Every function takes the questionnaire id and the Telegram id of the person pressing, and
checks both on the server each time: a forged button (someone else's questionnaire), a
questionnaire answered, declined or closed meanwhile, changes nothing and says why
(`Refusal`). Answers are stored only here, in the update's unit of work.

`absent_ids` of a report are the people said missing: the room's employers a candidate
names, the candidate an employer did not see, or the person themselves ("I could not
come"). Staff read them in `/presences` (`bot.services.attendance.overview`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.aftercare import (
    CandidateFeedback,
    EmployerFeedback,
    MeetingAnswer,
    MeetingReport,
    Questionnaire,
    QuestionnaireKind,
    QuestionnaireStatus,
)
from bot.db.session import Database
from bot.services.aftercare import review, schedule
from bot.services.aftercare.questions import MeetingCode, employer_label

MEETING_KINDS = (QuestionnaireKind.CANDIDATE_MEETING, QuestionnaireKind.EMPLOYER_CARD)
NEXT_STEPS = ("none", "later", "interview", "offer")
HELPED = ("cv", "pitch", "manner", "qualities", "contacts")
NextStep = Literal["none", "later", "interview", "offer"]


class Refusal(StrEnum):
    UNKNOWN = "unknown"  # no such questionnaire (erased), or a code it does not take
    NOT_YOURS = "not_yours"
    ANSWERED = "answered"
    DECLINED = "declined"
    CLOSED = "closed"  # expired or cancelled


@dataclass(frozen=True)
class Mate:
    """Someone met in the room, as the person answering may see them."""

    person_id: int
    name: str


@dataclass(frozen=True)
class Subject:
    """One open questionnaire, for the person it was sent to.

    `employers`: the room's employers (a candidate's questionnaire); `about`: the candidate
    met (an employer's card), first name only; `report`: "did it happen?" if answered.
    """

    questionnaire_id: int
    kind: str
    event_name: str
    employers: tuple[Mate, ...] = ()
    about: Mate | None = None
    report: str | None = None

    @property
    def is_employer_card(self) -> bool:
        return self.kind == QuestionnaireKind.EMPLOYER_CARD


@dataclass(frozen=True)
class Reported:
    """After "did it happen?": `done` when the questionnaire needs nothing more (absent,
    "I could not come"); else feedback follows, or the candidate names who did not come."""

    subject: Subject
    new: bool
    done: bool
    choose_absent: bool = False


@dataclass(frozen=True)
class Card:
    """An employer's card: levels 1–4 per theme (None: "I don't know")."""

    cv: int | None
    oral: int | None
    non_verbal: int | None
    soft_skills: int | None
    technical: int | None
    strength: str
    tip: str
    next_step: NextStep


# -- reading a questionnaire ----------------------------------------------------------------

STATUS_REFUSALS = {
    QuestionnaireStatus.ANSWERED: Refusal.ANSWERED,
    QuestionnaireStatus.DECLINED: Refusal.DECLINED,
}
DECLINE_REFUSALS = {
    schedule.DeclineOutcome.ALREADY_DECLINED: Refusal.DECLINED,
    schedule.DeclineOutcome.ALREADY_ANSWERED: Refusal.ANSWERED,
    schedule.DeclineOutcome.CLOSED: Refusal.CLOSED,
    schedule.DeclineOutcome.NOT_YOURS: Refusal.NOT_YOURS,
    schedule.DeclineOutcome.UNKNOWN: Refusal.UNKNOWN,
}


async def _owned(
    session: AsyncSession, questionnaire_id: int, telegram_id: int
) -> tuple[Questionnaire, schedule.QuestionnaireView] | Refusal:
    """The questionnaire if it is the presser's, of a meeting kind, and still open."""
    view = await schedule.open_questionnaire(session, questionnaire_id, telegram_id)
    if isinstance(view, schedule.Refusal):
        return Refusal.NOT_YOURS if view is schedule.Refusal.NOT_YOURS else Refusal.UNKNOWN
    questionnaire = await session.get(Questionnaire, questionnaire_id)
    if questionnaire is None or view.kind not in MEETING_KINDS:
        return Refusal.UNKNOWN
    if not view.is_open:
        return STATUS_REFUSALS.get(QuestionnaireStatus(view.status), Refusal.CLOSED)
    return questionnaire, view


async def _report(session: AsyncSession, questionnaire_id: int) -> MeetingReport | None:
    return await session.scalar(
        select(MeetingReport).where(MeetingReport.questionnaire_id == questionnaire_id)
    )


def _subject(view: schedule.QuestionnaireView, report: str | None) -> Subject:
    employers = tuple(
        Mate(person.person_id, employer_label(person.first_name, person.company))
        for person in view.employers
    )
    about = Mate(view.about.person_id, view.about.first_name) if view.about else None
    if view.kind == QuestionnaireKind.EMPLOYER_CARD:
        employers = ()
    return Subject(view.id, view.kind, view.event_name, employers, about, report)


async def open_subject(
    database: Database, questionnaire_id: int, telegram_id: int
) -> Subject | Refusal:
    """Read-only: the questionnaire as the presser may answer it, or why not."""
    async with database.session() as session:
        found = await _owned(session, questionnaire_id, telegram_id)
        if isinstance(found, Refusal):
            return found
        report = await _report(session, questionnaire_id)
        return _subject(found[1], report.answer if report else None)


# -- did it happen? -------------------------------------------------------------------------


async def record_report(
    database: Database, questionnaire_id: int, telegram_id: int, code: MeetingCode
) -> Reported | Refusal:
    """Store "did it happen?" once (a second press changes nothing: `Reported.new` is False
    and `subject.report` tells the answer given). "I could not come", an employer's "absent"
    and a candidate's "absent" with one employer in the room end the questionnaire."""
    async with database.session() as session:
        found = await _owned(session, questionnaire_id, telegram_id)
        if isinstance(found, Refusal):
            return found
        questionnaire, view = found
        report = await _report(session, questionnaire_id)
        if report is not None:
            subject = _subject(view, report.answer)
            # Answered before: the candidate may still have to name who did not come.
            pending = report.answer == MeetingAnswer.OTHER_ABSENT and len(subject.employers) > 1
            return Reported(subject, new=False, done=False, choose_absent=pending)
        answer = MeetingAnswer(code.value)
        subject = _subject(view, answer.value)
        absent: list[int] = []
        choose = False
        if answer is MeetingAnswer.I_WAS_ABSENT:
            absent = [view.person_id]
        elif answer is MeetingAnswer.OTHER_ABSENT:
            if subject.about is not None:
                absent = [subject.about.person_id]
            elif len(subject.employers) == 1:
                absent = [subject.employers[0].person_id]
            else:
                choose = len(subject.employers) > 1
        session.add(
            MeetingReport(
                questionnaire_id=questionnaire.id,
                event_id=questionnaire.event_id,
                answer=answer.value,
                absent_ids=absent,
            )
        )
        await session.flush()
        done = answer is not MeetingAnswer.YES and not choose
        if done:
            await schedule.mark_answered(session, questionnaire.id)
        return Reported(subject, new=True, done=done, choose_absent=choose)


async def set_absent(
    database: Database, questionnaire_id: int, telegram_id: int, person_ids: list[int]
) -> Refusal | None:
    """A candidate named who did not come (among the room's employers): the end."""
    async with database.session() as session:
        found = await _owned(session, questionnaire_id, telegram_id)
        if isinstance(found, Refusal):
            return found
        questionnaire, view = found
        report = await _report(session, questionnaire_id)
        if report is None or report.answer != MeetingAnswer.OTHER_ABSENT:
            return Refusal.UNKNOWN
        allowed = {person.person_id for person in view.employers}
        report.absent_ids = [person_id for person_id in person_ids if person_id in allowed]
        await session.flush()
        await schedule.mark_answered(session, questionnaire.id)
        return None


async def decline(database: Database, questionnaire_id: int, telegram_id: int) -> Refusal | None:
    """ "I prefer not to answer": the questionnaire is closed, no reminder follows."""
    async with database.session() as session:
        questionnaire = await session.get(Questionnaire, questionnaire_id)
        if questionnaire is not None and questionnaire.kind not in MEETING_KINDS:
            return Refusal.UNKNOWN
        result = await schedule.decline(session, questionnaire_id, telegram_id)
        return DECLINE_REFUSALS.get(result.outcome)


# -- feedback -------------------------------------------------------------------------------


async def _after_yes(
    session: AsyncSession, questionnaire_id: int, telegram_id: int
) -> Questionnaire | Refusal:
    found = await _owned(session, questionnaire_id, telegram_id)
    if isinstance(found, Refusal):
        return found
    questionnaire, _view = found
    report = await _report(session, questionnaire_id)
    if report is None or report.answer != MeetingAnswer.YES:
        return Refusal.UNKNOWN
    return questionnaire


async def save_candidate_feedback(
    database: Database,
    questionnaire_id: int,
    telegram_id: int,
    *,
    rating: int,
    helped: str | None,
    comment: str | None,
) -> Refusal | None:
    """A candidate's view of the room (rating 1–4, what helped most, a comment): the end."""
    async with database.session() as session:
        found = await _after_yes(session, questionnaire_id, telegram_id)
        if isinstance(found, Refusal):
            return found
        session.add(
            CandidateFeedback(
                questionnaire_id=found.id,
                event_id=found.event_id,
                rating=rating if 1 <= rating <= 4 else None,
                helped=[helped] if helped in HELPED else [],
                comment=comment or None,
            )
        )
        await session.flush()
        await schedule.mark_answered(session, found.id)
        return None


async def save_employer_card(
    database: Database,
    questionnaire_id: int,
    telegram_id: int,
    card: Card,
    staff_ids: Sequence[int] = (),
) -> Refusal | None:
    """An employer's card about the candidate met: stored, then handed to the review."""
    async with database.session() as session:
        found = await _after_yes(session, questionnaire_id, telegram_id)
        if isinstance(found, Refusal):
            return found
        if found.about_id is None:
            return Refusal.UNKNOWN
        feedback = EmployerFeedback(
            questionnaire_id=found.id,
            event_id=found.event_id,
            employer_id=found.person_id,
            candidate_id=found.about_id,
            cv=card.cv,
            oral=card.oral,
            non_verbal=card.non_verbal,
            soft_skills=card.soft_skills,
            technical=card.technical,
            strength=card.strength,
            tip=card.tip,
            next_step=card.next_step,
        )
        session.add(feedback)
        await session.flush()
        await schedule.mark_answered(session, found.id)
        await review.card_completed(session, feedback.id, staff_ids)
        return None
