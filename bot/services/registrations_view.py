"""Who signed up for an event, as staff see it: counts, the list, and a CSV for Excel.

Employers choose the sites they accept (`Registration.accepted_site_ids`), candidates one
site (`site_id`): the counts per site follow each, so an employer who accepts two sites counts
in both, and remote employers are counted apart.

Staff are the readers here, so the export carries what the portrait card leaves out
(programme, constraints); a person's card itself is drawn on request. The CSV is UTF-8 with
a BOM and `;` separators: that is what a French-language Excel opens correctly with a
double click.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.dates import format_short
from bot.db.models.events import Event, Registration, RegistrationStatus, Site
from bot.db.models.people import Person, Role
from bot.db.session import Database
from bot.i18n import sectors
from bot.portrait import render_card
from bot.services.profiles import portrait_card

ACTIVE_STATUSES = (RegistrationStatus.REGISTERED, RegistrationStatus.CONFIRMED)
STATUS_ORDER = tuple(RegistrationStatus)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class SignUp:
    registration_id: int
    person_id: int
    role: str
    status: str
    first_name: str
    last_name: str | None
    site: str | None
    remote: bool
    sites: tuple[str, ...]
    sectors: tuple[str, ...]
    target_or_company: str | None
    programme: str | None
    constraints: str | None
    registered_at: datetime


@dataclass(frozen=True)
class SignUpOverview:
    event_id: int
    event_name: str
    timezone: str
    people: tuple[SignUp, ...]
    site_names: tuple[str, ...] = ()

    def count_by_role_and_status(self) -> dict[str, Counter[str]]:
        counts: dict[str, Counter[str]] = {Role.CANDIDATE: Counter(), Role.EMPLOYER: Counter()}
        for person in self.people:
            counts.setdefault(person.role, Counter())[person.status] += 1
        return counts

    def active_by_site(self) -> dict[str, Counter[str]]:
        """Per site name (the event's order), active candidates and employers on site.

        Every site of the event is a key, even with nobody; "" gathers those without any
        site. An employer counts in each site they accept; remote employers are left out
        here (see :meth:`remote_employers`).
        """
        counts: dict[str, Counter[str]] = {name: Counter() for name in self.site_names}
        for person in self.people:
            if person.status not in ACTIVE_STATUSES:
                continue
            if person.role == Role.EMPLOYER and person.remote:
                continue
            for site in person.sites or ("",):
                counts.setdefault(site, Counter())[person.role] += 1
        return counts

    def remote_employers(self) -> int:
        """Active employers who meet candidates by video."""
        return sum(
            1
            for person in self.people
            if person.role == Role.EMPLOYER and person.remote and person.status in ACTIVE_STATUSES
        )


def _sector_labels(codes: list[str] | None) -> tuple[str, ...]:
    by_code = {sector.code: sector.short_label for sector in sectors()}
    return tuple(by_code.get(code, code) for code in codes or [])


def _sites_of(
    registration: Registration, site: Site | None, names: dict[int, str]
) -> tuple[str, ...]:
    """The site names a registration counts in: accepted sites for employers, else its site."""
    if registration.role == Role.EMPLOYER and not registration.remote:
        accepted = set(registration.accepted_site_ids or [])
        in_order = tuple(name for site_id, name in names.items() if site_id in accepted)
        if in_order:
            return in_order
    return (site.name,) if site else ()


def _sign_up(
    registration: Registration, person: Person, site: Site | None, names: dict[int, str]
) -> SignUp:
    candidate = person.candidate_profile
    employer = person.employer_profile
    if registration.role == Role.EMPLOYER:
        codes = employer.sectors if employer else []
        target = employer.company if employer else None
        programme, constraints = None, None
    else:
        codes = candidate.sectors if candidate else []
        target = candidate.target_job if candidate else None
        programme = candidate.programme if candidate else None
        constraints = candidate.constraints if candidate else None
    return SignUp(
        registration_id=registration.id,
        person_id=person.id,
        role=registration.role,
        status=registration.status,
        first_name=person.first_name,
        last_name=person.last_name,
        site=site.name if site else None,
        remote=registration.remote,
        sites=_sites_of(registration, site, names),
        sectors=_sector_labels(codes),
        target_or_company=target,
        programme=programme,
        constraints=constraints,
        registered_at=registration.created_at,
    )


def _order(sign_up: SignUp) -> tuple[int, int, datetime]:
    role_rank = 0 if sign_up.role == Role.CANDIDATE else 1
    status = RegistrationStatus(sign_up.status) if sign_up.status in STATUS_ORDER else None
    status_rank = STATUS_ORDER.index(status) if status else len(STATUS_ORDER)
    return role_rank, status_rank, sign_up.registered_at


async def signups(database: Database, event_id: int) -> SignUpOverview | None:
    """Everyone registered for the event, candidates first, then by status and date."""
    async with database.session() as session:
        event = await session.get(Event, event_id)
        if event is None:
            return None
        rows = await session.execute(
            select(Registration, Person, Site)
            .join(Person, Person.id == Registration.person_id)
            .outerjoin(Site, Site.id == Registration.site_id)
            .where(Registration.event_id == event_id)
            .options(selectinload(Person.candidate_profile), selectinload(Person.employer_profile))
        )
        names = await _site_names(session, event_id)
        people = [
            _sign_up(registration, person, site, names) for registration, person, site in rows
        ]
        return SignUpOverview(
            event_id=event.id,
            event_name=event.name,
            timezone=event.timezone,
            people=tuple(sorted(people, key=_order)),
            site_names=tuple(dict.fromkeys(names.values())),
        )


async def _site_names(session: AsyncSession, event_id: int) -> dict[int, str]:
    """Site id → name, in the event's order."""
    sites = await session.scalars(
        select(Site).where(Site.event_id == event_id).order_by(Site.position, Site.id)
    )
    return {site.id: site.name for site in sites}


async def find_signup(database: Database, registration_id: int) -> SignUp | None:
    async with database.session() as session:
        row = (
            await session.execute(
                select(Registration, Person, Site)
                .join(Person, Person.id == Registration.person_id)
                .outerjoin(Site, Site.id == Registration.site_id)
                .where(Registration.id == registration_id)
                .options(
                    selectinload(Person.candidate_profile),
                    selectinload(Person.employer_profile),
                )
            )
        ).first()
        if row is None:
            return None
        registration, person, site = row
        return _sign_up(
            registration, person, site, await _site_names(session, registration.event_id)
        )


async def portrait_image(database: Database, person_id: int) -> bytes | None:
    """The person's portrait card as PNG bytes; None when they have no profile yet."""
    card = await portrait_card(database, person_id)
    return await asyncio.to_thread(render_card, card) if card is not None else None


def _cell(value: object) -> str:
    """Text for one cell; a leading = + - @ would make Excel run it as a formula."""
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def signups_csv(
    overview: SignUpOverview,
    headers: list[str],
    role_labels: dict[str, str],
    status_labels: dict[str, str],
    remote_label: str,
) -> bytes:
    """The list as CSV bytes: UTF-8 with BOM, `;`-separated, one row per registration.

    Columns: role, status, first name, last name, site, sectors, target job or company,
    programme, constraints, registered at (in the event's time zone).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(headers)
    for person in overview.people:
        site = remote_label if person.remote and not person.site else ", ".join(person.sites)
        writer.writerow(
            [
                _cell(role_labels.get(person.role, person.role)),
                _cell(status_labels.get(person.status, person.status)),
                _cell(person.first_name),
                _cell(person.last_name),
                _cell(site),
                _cell(", ".join(person.sectors)),
                _cell(person.target_or_company),
                _cell(person.programme),
                _cell(person.constraints),
                format_short(person.registered_at, overview.timezone),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
