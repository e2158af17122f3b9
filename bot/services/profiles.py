"""Profiles as others see them: the portrait card, and changes made from `/profil`.

`portrait_card` is what the staff view and the convocations use: it carries only what the
person agreed to show (never constraints, programme or eligibility answers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.db.models.people import Person, Role
from bot.db.session import Database
from bot.i18n import sectors
from bot.portrait import PortraitCard


@dataclass(frozen=True)
class CandidateCard:
    """What a candidate may see and change from `/profil` (the sign-up answers of the card)."""

    first_name: str
    last_name: str | None = None
    age_band: str | None = None
    sectors: tuple[str, ...] = ()
    target_job: str | None = None
    strengths: tuple[str, ...] = ()
    qualities: tuple[str, ...] = ()
    constraints: str | None = None

    role: ClassVar[Role] = Role.CANDIDATE


@dataclass(frozen=True)
class EmployerCard:
    """What an employer may see and change from `/profil`."""

    first_name: str
    last_name: str | None = None
    company: str | None = None
    job_title: str | None = None
    sectors: tuple[str, ...] = ()
    jobs: str | None = None
    max_candidates: int | None = None

    role: ClassVar[Role] = Role.EMPLOYER


OwnProfile = CandidateCard | EmployerCard


def sector_labels(codes: list[str], language: str = "fr") -> tuple[str, ...]:
    by_code = {sector.code: sector.short_label for sector in sectors(language)}
    return tuple(by_code[code] for code in codes if code in by_code)


def _query() -> Any:
    return select(Person).options(
        selectinload(Person.candidate_profile), selectinload(Person.employer_profile)
    )


def _card(person: Person) -> PortraitCard | None:
    if person.role == Role.EMPLOYER and person.employer_profile is not None:
        employer = person.employer_profile
        return PortraitCard(
            kind=Role.EMPLOYER.value,
            first_name=person.first_name,
            company=employer.company,
            job_title=employer.job_title,
            sectors=sector_labels(employer.sectors, person.language),
            jobs=employer.jobs,
            language=person.language,
        )
    candidate = person.candidate_profile
    if candidate is None:
        return None
    return PortraitCard(
        kind=Role.CANDIDATE.value,
        first_name=person.first_name,
        target_job=candidate.target_job,
        strengths=tuple(candidate.strengths),
        qualities=tuple(candidate.qualities),
        sectors=sector_labels(candidate.sectors, person.language),
        photo=candidate.photo,
        language=person.language,
    )


async def portrait_card(database: Database, person_id: int) -> PortraitCard | None:
    """The card of a candidate or an employer; None when they have no profile yet."""
    async with database.session() as session:
        person = await session.scalar(_query().where(Person.id == person_id))
        return _card(person) if person else None


async def own_card(database: Database, telegram_id: int) -> PortraitCard | None:
    async with database.session() as session:
        person = await session.scalar(_query().where(Person.telegram_id == telegram_id))
        return _card(person) if person else None


async def own_profile(database: Database, telegram_id: int) -> OwnProfile | None:
    """The answers behind a person's card, to start an edit from."""
    async with database.session() as session:
        person = await session.scalar(_query().where(Person.telegram_id == telegram_id))
        if person is None:
            return None
        if person.role == Role.EMPLOYER and person.employer_profile is not None:
            employer = person.employer_profile
            return EmployerCard(
                first_name=person.first_name,
                last_name=person.last_name,
                company=employer.company,
                job_title=employer.job_title,
                sectors=tuple(employer.sectors),
                jobs=employer.jobs,
                max_candidates=employer.max_candidates,
            )
        candidate = person.candidate_profile
        if candidate is None:
            return None
        return CandidateCard(
            first_name=person.first_name,
            last_name=person.last_name,
            age_band=candidate.age_band,
            sectors=tuple(candidate.sectors),
            target_job=candidate.target_job,
            strengths=tuple(candidate.strengths),
            qualities=tuple(candidate.qualities),
            constraints=candidate.constraints,
        )


async def update_profile(
    database: Database, telegram_id: int, card: OwnProfile, photo: bytes | None = None
) -> bool:
    """Store the changed card (and a new photo); False if the profile is gone."""
    async with database.session() as session:
        person = await session.scalar(_query().where(Person.telegram_id == telegram_id))
        if person is None:
            return False
        if isinstance(card, EmployerCard):
            employer = person.employer_profile
            if person.role != Role.EMPLOYER or employer is None:
                return False
            employer.company = card.company
            employer.job_title = card.job_title
            employer.sectors = list(card.sectors)
            employer.jobs = card.jobs
            if card.max_candidates is not None:
                employer.max_candidates = card.max_candidates
        else:
            candidate = person.candidate_profile
            if person.role == Role.EMPLOYER or candidate is None:
                return False
            candidate.age_band = card.age_band
            candidate.sectors = list(card.sectors)
            candidate.target_job = card.target_job
            candidate.strengths = list(card.strengths)
            candidate.qualities = list(card.qualities)
            candidate.constraints = card.constraints
            if photo is not None:
                candidate.photo = photo
        if card.first_name:
            person.first_name = card.first_name[:100]
            person.last_name = card.last_name or None
        return True
