"""Events, their sites and eligibility questions, and who registered for what."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.base import Base, UTCDateTime, utcnow


class EventStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    WITHDRAWN = "withdrawn"
    INELIGIBLE = "ineligible"


class Event(Base):
    """One meeting day: sites × rooms × rounds with a room format (DOMAIN.md's event model)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int] = mapped_column(Integer, default=180)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    employers_per_room: Mapped[int] = mapped_column(Integer, default=2)
    candidates_per_room: Mapped[int] = mapped_column(Integer, default=2)
    rounds: Mapped[int] = mapped_column(Integer, default=1)
    round_minutes: Mapped[int] = mapped_column(Integer, default=60)
    max_candidates: Mapped[int | None] = mapped_column(Integer)
    max_employers: Mapped[int | None] = mapped_column(Integer)
    registration_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default=EventStatus.OPEN)
    candidate_code: Mapped[str] = mapped_column(String(32), unique=True)
    employer_code: Mapped[str] = mapped_column(String(32), unique=True)
    reminder_offsets_minutes: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: [7 * 24 * 60, 24 * 60, 120]
    )
    what_to_bring: Mapped[str | None] = mapped_column(Text)
    # Which DOMAIN.md programme the room format came from ("ose", "speed", "cohort", …;
    # None when typed by hand): the planner optimises differently per format.
    format_key: Mapped[str | None] = mapped_column(String(40))
    # Who gets a seat when there are more candidates than seats (matching.admission):
    # "registration" (first signed up first seated), "staff", "best_fit", "fewest_matches".
    admission: Mapped[str] = mapped_column(String(20), default="registration")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # After the event (bot.services.aftercare): minutes after each round's end before the
    # "did it happen?" questions; whether staff review employers' cards before candidates
    # get them; days after the event for follow-up questions.
    feedback_delay_minutes: Mapped[int] = mapped_column(Integer, default=30)
    feedback_review: Mapped[bool] = mapped_column(Boolean, default=True)
    follow_up_days: Mapped[list[int]] = mapped_column(JSON, default=lambda: [30, 90])
    # A series (twice-yearly "Ose ton projet", weekly sessions): the edition this one follows.
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )

    sites: Mapped[list[Site]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Site.position"
    )
    questions: Mapped[list[EligibilityQuestion]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="EligibilityQuestion.position",
    )
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )


class Site(Base):
    """A place (or the video link, when `remote`) with its number of rooms or seats."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    rooms: Mapped[int] = mapped_column(Integer, default=1)
    remote: Mapped[bool] = mapped_column(Boolean, default=False)
    video_url: Mapped[str | None] = mapped_column(Text)

    event: Mapped[Event] = relationship(back_populates="sites")


class EligibilityQuestion(Base):
    """A yes/no question; only the `admitting_answer` lets a candidate in."""

    __tablename__ = "eligibility_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    admitting_answer: Mapped[bool] = mapped_column(Boolean, default=True)

    event: Mapped[Event] = relationship(back_populates="questions")


class Registration(Base):
    """A person's place in an event, with the choices that only make sense for that event."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("event_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=RegistrationStatus.REGISTERED)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    accepted_site_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    remote: Mapped[bool] = mapped_column(Boolean, default=False)
    eligibility_answers: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)
    wishes: Mapped[list[int]] = mapped_column(JSON, default=list)
    attendance_answer: Mapped[str | None] = mapped_column(String(20))
    attendance_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attended: Mapped[bool | None] = mapped_column(Boolean)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registered_by: Mapped[int | None] = mapped_column(Integer)
    # Staff's order for the "staff" admission rule: 1 is seated first; None comes last.
    priority: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="registrations")
