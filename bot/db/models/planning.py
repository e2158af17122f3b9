"""Plans made by the matching engine, kept as the engine's JSON so any version can be re-read.

A plan row is a draft until `published_at` is set; publishing is what sends convocations.
`SeatOffer` keeps the history of seats offered to the waiting list after a withdrawal, so
nobody is offered the same seat twice and an unanswered offer can move on to the next person.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, utcnow


class PlanSource(StrEnum):
    SOLVER = "solver"
    REPLAN = "replan"
    ADJUSTED = "adjusted"
    IMPORTED = "imported"


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    instance: Mapped[dict[str, object]] = mapped_column(JSON)
    plan: Mapped[dict[str, object]] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The engine's seed: "Recalculer" asks for the next one, for another plan of equal rules.
    seed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    source: Mapped[str] = mapped_column(
        String(20), default=PlanSource.SOLVER, server_default=PlanSource.SOLVER.value
    )


class OfferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


class SeatOffer(Base):
    """A freed seat offered to one person of the waiting list, until a deadline."""

    __tablename__ = "seat_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    # The withdrawal that freed the seat (kept when that registration is erased).
    freed_by_registration_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=OfferStatus.PENDING, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
