"""People and their profiles: one `Person` per Telegram user, whatever their role."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.base import Base, UTCDateTime, utcnow


class Role(StrEnum):
    CANDIDATE = "candidate"
    EMPLOYER = "employer"
    STAFF = "staff"


class Person(Base):
    """A Telegram user known to the bot. Erasing a person cascades to everything tied to them."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True, index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str | None] = mapped_column(String(100))
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(10), default="fr")
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_recorded_by: Mapped[int | None] = mapped_column(Integer)
    # One-time code of the personal link (`/start p_…`) for someone staff registered: until
    # it is used, `telegram_id` is a negative placeholder (real Telegram user ids are > 0).
    claim_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    candidate_profile: Mapped[CandidateProfile | None] = relationship(
        back_populates="person", cascade="all, delete-orphan", uselist=False
    )
    employer_profile: Mapped[EmployerProfile | None] = relationship(
        back_populates="person", cascade="all, delete-orphan", uselist=False
    )


class DeletionCount(Base):
    """What erasure leaves behind: how many people of a role were erased in a month, no more."""

    __tablename__ = "deletion_counts"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11"
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class CandidateProfile(Base):
    """What a candidate tells about themself; `constraints` is for staff eyes only."""

    __tablename__ = "candidate_profiles"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    age_band: Mapped[str | None] = mapped_column(String(20))
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_job: Mapped[str | None] = mapped_column(Text)
    strengths: Mapped[list[str]] = mapped_column(JSON, default=list)
    qualities: Mapped[list[str]] = mapped_column(JSON, default=list)
    programme: Mapped[str | None] = mapped_column(String(100))
    constraints: Mapped[str | None] = mapped_column(Text)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    share_card: Mapped[bool] = mapped_column(default=True)

    person: Mapped[Person] = relationship(back_populates="candidate_profile")


class EmployerProfile(Base):
    """An employer's company, role and what they recruit for."""

    __tablename__ = "employer_profiles"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    company: Mapped[str | None] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    jobs: Mapped[str | None] = mapped_column(Text)
    max_candidates: Mapped[int] = mapped_column(Integer, default=4)

    person: Mapped[Person] = relationship(back_populates="employer_profile")
