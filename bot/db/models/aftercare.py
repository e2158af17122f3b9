"""After the event: questionnaires sent to people, and what they answered.

One `Questionnaire` row per question sent to one person (after a round, about a room or a
person met; or a follow-up weeks later). Its `key` is unique, so a questionnaire is never
created twice, whatever restarts happen. Answers live in their own tables, tied to the
questionnaire (cascade: erasing a person erases what they answered and what was said of them).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, utcnow


class QuestionnaireKind(StrEnum):
    CANDIDATE_MEETING = "cand"  # a candidate, once per room: did it happen, then feedback
    EMPLOYER_CARD = "emp"  # an employer, once per candidate met: did it happen, then a card
    FOLLOW_UP = "follow"  # a candidate who attended, N days after the event: outcome


class QuestionnaireStatus(StrEnum):
    OPEN = "open"  # sent, waiting for answers
    ANSWERED = "answered"
    DECLINED = "declined"  # "Je ne souhaite pas répondre"
    EXPIRED = "expired"  # no answer after the closing delay
    CANCELLED = "cancelled"  # event cancelled, person withdrew: never sent or closed


class Questionnaire(Base):
    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE")
    )
    # after a round: which round and room (plan's site key and room number)
    round: Mapped[int | None] = mapped_column(Integer)
    site_id: Mapped[int | None] = mapped_column(Integer)
    room: Mapped[int | None] = mapped_column(Integer)
    # an employer's card: the candidate it is about (the person met)
    about_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # a follow-up: days after the event
    offset_days: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default=QuestionnaireStatus.OPEN, index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MeetingAnswer(StrEnum):
    YES = "yes"
    OTHER_ABSENT = "absent"  # "Non, la personne n'est pas venue"
    I_WAS_ABSENT = "self"  # "Je n'ai pas pu venir"


class MeetingReport(Base):
    """Did the meeting happen? One answer per questionnaire (candidate: the room; employer:
    the candidate). `absent_ids` are the people reported missing (staff see it in
    `/presences` and can still correct attendance)."""

    __tablename__ = "meeting_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE"), unique=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    answer: Mapped[str] = mapped_column(String(10))
    absent_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CandidateFeedback(Base):
    """A candidate's view of one room: a 1–4 rating, what helped most, an optional comment."""

    __tablename__ = "candidate_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE"), unique=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int | None] = mapped_column(Integer)  # 1 Pas utile … 4 Très utile
    helped: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ReviewStatus(StrEnum):
    WAITING = "waiting"  # the event asks for a staff review first
    SENT = "sent"  # delivered to the candidate
    HELD = "held"  # staff chose "Ne pas envoyer"


class EmployerFeedback(Base):
    """An employer's card about one candidate met ("Ose ton projet" themes, levels 1–4, None
    for "Je ne sais pas"), a strength, a tip and what happens next."""

    __tablename__ = "employer_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE"), unique=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    cv: Mapped[int | None] = mapped_column(Integer)
    oral: Mapped[int | None] = mapped_column(Integer)
    non_verbal: Mapped[int | None] = mapped_column(Integer)
    soft_skills: Mapped[int | None] = mapped_column(Integer)
    technical: Mapped[int | None] = mapped_column(Integer)
    strength: Mapped[str] = mapped_column(Text, default="")
    tip: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str | None] = mapped_column(String(20))  # none/later/interview/offer
    review: Mapped[str] = mapped_column(String(10), default=ReviewStatus.WAITING)
    reviewed_by: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Situation(StrEnum):
    JOB = "job"
    TRAINING = "training"
    INTERNSHIP = "internship"
    SEARCHING = "searching"
    OTHER = "other"


class Outcome(Base):
    """Where a candidate stands N days after an event, as they (or staff) said. Funders'
    categories are computed from it (`bot.services.funders`), never stored."""

    __tablename__ = "outcomes"
    __table_args__ = (UniqueConstraint("event_id", "person_id", "offset_days"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    offset_days: Mapped[int] = mapped_column(Integer)
    situation: Mapped[str] = mapped_column(String(12))
    start_date: Mapped[date | None] = mapped_column(Date)
    contract: Mapped[str | None] = mapped_column(String(12))  # cdi/cdd/interim/aided/own/other
    duration: Mapped[str | None] = mapped_column(String(12))  # lt1/1to6/6plus/open
    from_event: Mapped[str | None] = mapped_column(String(8))  # yes/partly/no
    matches_wishes: Mapped[str | None] = mapped_column(String(8))  # yes/partly/no
    by_staff: Mapped[bool] = mapped_column(Boolean, default=False)  # "saisi par l'équipe"
    recorded_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
