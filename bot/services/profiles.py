"""Profiles as others see them: the portrait card, and changes made from `/profil`.

`portrait_card` is what the staff view and the convocations use: it carries only what the
person agreed to show (never constraints, programme or eligibility answers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.db.models.people import CandidateProfile, EmployerProfile, Person, Role
from bot.db.session import Database
from bot.i18n import sectors
from bot.portrait import PortraitCard

# The fields `/profil` lets each role change (the sign-up steps of the same names).
CANDIDATE_FIELDS = ("first_name", "age_band", "sectors", "target_job", "strengths", "qualities")
CANDIDATE_FIELDS += ("constraints", "photo")
EMPLOYER_FIELDS = ("first_name", "company", "job_title", "sectors", "jobs", "max_candidates")


@dataclass(frozen=True)
class OwnProfile:
    """A person's own profile, as plain values for the edit conversation."""

    person_id: int
    role: str
    answers: dict[str, Any]


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
        answers: dict[str, Any] = {"first_name": person.first_name, "last_name": person.last_name}
        if person.role == Role.EMPLOYER and person.employer_profile is not None:
            employer = person.employer_profile
            answers |= {
                "company": employer.company,
                "job_title": employer.job_title,
                "sectors": list(employer.sectors),
                "jobs": employer.jobs,
                "max_candidates": employer.max_candidates,
            }
            return OwnProfile(person.id, Role.EMPLOYER.value, answers)
        candidate = person.candidate_profile
        if candidate is None:
            return None
        answers |= {
            "age_band": candidate.age_band,
            "sectors": list(candidate.sectors),
            "target_job": candidate.target_job,
            "strengths": list(candidate.strengths),
            "qualities": list(candidate.qualities),
            "constraints": candidate.constraints,
        }
        return OwnProfile(person.id, Role.CANDIDATE.value, answers)


async def update_profile(
    database: Database,
    telegram_id: int,
    answers: dict[str, Any],
    photo: bytes | None = None,
) -> bool:
    """Apply edited answers (only the editable fields); False if the profile is gone."""
    async with database.session() as session:
        person = await session.scalar(_query().where(Person.telegram_id == telegram_id))
        if person is None:
            return False
        if answers.get("first_name"):
            person.first_name = str(answers["first_name"])[:100]
            person.last_name = answers.get("last_name") or None
        profile: CandidateProfile | EmployerProfile | None
        if person.role == Role.EMPLOYER:
            profile, fields = person.employer_profile, EMPLOYER_FIELDS
        else:
            profile, fields = person.candidate_profile, CANDIDATE_FIELDS
        if profile is None:
            return False
        for name in fields:
            if name in ("first_name", "photo") or name not in answers:
                continue
            setattr(profile, name, answers[name])
        if photo is not None and isinstance(profile, CandidateProfile):
            profile.photo = photo
        return True
