"""A past event with everything `/bilan` counts: sign-ups, attendance, questionnaires,
"did it happen?" answers, feedback and follow-up outcomes, stored directly.

    seeded = await seed_report_event(database)      # the event of 100 days ago
    seeded.person_ids["c0"]                         # internal ids, for checks

Rows are written through the bot's own `Database` (no second writer on the SQLite file);
the tests compute what they expect with their own SQL on the same file.

The people and their answers (c = candidate, e = employer):
- c0…c11 candidates, sites "Riponne" (c0–c5) and "Flon" (c6–c11); e0…e3 employers.
- Candidates c0–c7 confirmed, c8–c9 registered, c10 withdrew, c11 not eligible. Present:
  c0–c6; marked absent: c7, c8 (without notice) and c10 (had withdrawn). Employers
  confirmed, e0–e2 present, e3 absent.
- Candidates' questionnaires: c0–c5 answered, c6 expired, c7 cancelled; meeting "yes" for
  c0–c4, "self" for c5; ratings 4, 3, 4, 2, 3 from c0–c4.
- Employers' cards: e0, e1, e2 each about two candidates, all answered ("yes" five times,
  "absent" once, five cards); e3's about c6 expired. Themes: see `CARDS`.
- Follow-ups: `OUTCOMES` at 30 and 90 days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from bot import clock
from bot.db.models.aftercare import (
    CandidateFeedback,
    EmployerFeedback,
    MeetingReport,
    Outcome,
    Questionnaire,
)
from bot.db.models.events import Event, Registration, Site
from bot.db.models.people import Person
from bot.db.session import Database

EVENT_NAME = "Ose ton projet – printemps"
DAYS_AGO = 100
CANDIDATES = [f"c{index}" for index in range(12)]
EMPLOYERS = [f"e{index}" for index in range(4)]
STATUSES = {
    **dict.fromkeys(CANDIDATES[:8], "confirmed"),
    "c8": "registered",
    "c9": "registered",
    "c10": "withdrawn",
    "c11": "ineligible",
    **dict.fromkeys(EMPLOYERS, "confirmed"),
}
ATTENDED: dict[str, bool | None] = {
    **dict.fromkeys(CANDIDATES[:7], True),
    "c7": False,
    "c8": False,
    "c9": None,
    "c10": False,
    "c11": None,
    "e0": True,
    "e1": True,
    "e2": True,
    "e3": False,
}
# employer, candidate, meeting answer, (cv, oral, non_verbal, soft_skills, technical), next
CARDS: list[tuple[str, str, str, tuple[int | None, ...], str | None]] = [
    ("e0", "c0", "yes", (4, 3, 2, 4, None), "interview"),
    ("e0", "c1", "yes", (3, 3, None, 3, 2), "later"),
    ("e1", "c2", "yes", (2, 4, 3, 4, None), "none"),
    ("e1", "c3", "absent", (None, None, None, None, None), None),
    ("e2", "c4", "yes", (4, 2, 3, 3, 3), "offer"),
    ("e2", "c5", "yes", (3, 4, 4, 2, 4), "interview"),
]
RATINGS = {"c0": 4, "c1": 3, "c2": 4, "c3": 2, "c4": 3}
# person, offset, situation, contract, duration, days from the event to the start, wishes
OUTCOMES: list[tuple[str, int, str, str | None, str | None, int | None, str | None]] = [
    ("c0", 30, "job", "cdi", None, 10, "yes"),
    ("c1", 30, "job", "cdd", "6plus", 20, "partly"),
    ("c2", 30, "job", "interim", "lt1", 5, "yes"),
    ("c3", 30, "training", None, None, None, None),
    ("c4", 30, "searching", None, None, None, None),
    ("c5", 30, "job", "aided", "1to6", None, "no"),
    ("c0", 90, "job", "cdi", None, 10, "yes"),
    ("c1", 90, "job", "cdi", None, 60, "yes"),
    ("c2", 90, "searching", None, None, None, None),
    ("c3", 90, "job", "own", None, 70, "yes"),
    ("c4", 90, "job", "cdd", None, 40, None),
]


@dataclass
class Seeded:
    event_id: int
    event_day: date
    person_ids: dict[str, int] = field(default_factory=dict)
    first_names: dict[str, str] = field(default_factory=dict)


def _starts_at(days_ago: int) -> datetime:
    moment = clock.now() - timedelta(days=days_ago)
    return moment.replace(hour=12, minute=30, second=0, microsecond=0, tzinfo=UTC)


async def add_event(
    database: Database,
    *,
    name: str,
    days_ago: int,
    format_key: str | None = "ose",
    status: str = "open",
    candidates: int = 0,
    code: str,
) -> int:
    """A bare event with `candidates` present candidates (for scopes and small numbers)."""
    async with database.session() as session:
        event = Event(
            name=name,
            starts_at=_starts_at(days_ago),
            timezone="Europe/Zurich",
            format_key=format_key,
            status=status,
            candidate_code=f"C{code}",
            employer_code=f"E{code}",
            sites=[Site(name="Riponne", rooms=2, position=0)],
        )
        session.add(event)
        await session.flush()
        for index in range(candidates):
            person = Person(
                telegram_id=700000 + event.id * 100 + index,
                chat_id=700000 + event.id * 100 + index,
                first_name=f"Extra{index}",
                role="candidate",
            )
            session.add(person)
            await session.flush()
            session.add(
                Registration(
                    event_id=event.id,
                    person_id=person.id,
                    role="candidate",
                    status="confirmed",
                    site_id=event.sites[0].id,
                    attended=True,
                )
            )
        return event.id


async def seed_report_event(database: Database) -> Seeded:
    async with database.session() as session:
        event = Event(
            name=EVENT_NAME,
            starts_at=_starts_at(DAYS_AGO),
            timezone="Europe/Zurich",
            format_key="ose",
            candidate_code="CREPORT",
            employer_code="EREPORT",
            sites=[
                Site(name="Riponne", rooms=2, position=0),
                Site(name="Flon", rooms=2, position=1),
            ],
        )
        session.add(event)
        await session.flush()
        riponne, flon = (site.id for site in event.sites)
        day = event.starts_at.astimezone(UTC).date()
        seeded = Seeded(event.id, day)
        for index, key in enumerate(CANDIDATES + EMPLOYERS):
            role = "candidate" if key.startswith("c") else "employer"
            first_name = f"Prénom{key.upper()}"
            person = Person(
                telegram_id=600000 + index,
                chat_id=600000 + index,
                first_name=first_name,
                last_name=f"Nom{key.upper()}",
                role=role,
            )
            session.add(person)
            await session.flush()
            seeded.person_ids[key] = person.id
            seeded.first_names[key] = first_name
            number = int(key[1:])
            site = riponne if (number < 6 if role == "candidate" else number < 2) else flon
            session.add(
                Registration(
                    event_id=event.id,
                    person_id=person.id,
                    role=role,
                    status=STATUSES[key],
                    site_id=site,
                    attended=ATTENDED[key],
                )
            )
        ids = seeded.person_ids

        def questionnaire(key: str, kind: str, status: str, **extra: object) -> Questionnaire:
            row = Questionnaire(
                key=f"{kind}:{event.id}:{key}:{extra.get('about_id', '')}:"
                f"{extra.get('offset_days', '')}",
                kind=kind,
                event_id=event.id,
                person_id=ids[key],
                status=status,
                **extra,
            )
            session.add(row)
            return row

        for key in CANDIDATES[:6]:
            asked = questionnaire(key, "cand", "answered", round=1, room=1)
            await session.flush()
            answer = "self" if key == "c5" else "yes"
            session.add(MeetingReport(questionnaire_id=asked.id, event_id=event.id, answer=answer))
            if key in RATINGS:
                session.add(
                    CandidateFeedback(
                        questionnaire_id=asked.id, event_id=event.id, rating=RATINGS[key]
                    )
                )
        questionnaire("c6", "cand", "expired", round=1, room=2)
        questionnaire("c7", "cand", "cancelled", round=1, room=2)
        for employer, candidate, answer, themes, next_step in CARDS:
            asked = questionnaire(employer, "emp", "answered", about_id=ids[candidate])
            await session.flush()
            session.add(MeetingReport(questionnaire_id=asked.id, event_id=event.id, answer=answer))
            if answer == "yes":
                cv, oral, non_verbal, soft_skills, technical = themes
                session.add(
                    EmployerFeedback(
                        questionnaire_id=asked.id,
                        event_id=event.id,
                        employer_id=ids[employer],
                        candidate_id=ids[candidate],
                        cv=cv,
                        oral=oral,
                        non_verbal=non_verbal,
                        soft_skills=soft_skills,
                        technical=technical,
                        next_step=next_step,
                    )
                )
        questionnaire("e3", "emp", "expired", about_id=ids["c6"])
        answered = {(person, offset) for person, offset, *_rest in OUTCOMES}
        for key in CANDIDATES[:7]:
            for offset in (30, 90):
                if (key, offset) in answered:
                    status = "answered"
                else:
                    status = "expired" if offset == 30 else "open"
                questionnaire(key, "follow", status, offset_days=offset)
        for key, offset, situation, contract, duration, days, wishes in OUTCOMES:
            session.add(
                Outcome(
                    event_id=event.id,
                    person_id=ids[key],
                    offset_days=offset,
                    situation=situation,
                    contract=contract,
                    duration=duration,
                    start_date=None if days is None else day + timedelta(days=days),
                    matches_wishes=wishes,
                )
            )
    return seeded
