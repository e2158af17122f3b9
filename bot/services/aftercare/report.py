"""`/bilan`'s figures: participation, meetings, feedback, outcomes, answers to questionnaires.

`build_report` reads everything for one event, one programme or a period and returns plain
dataclasses; the chart (`report_chart`) and the workbook (`report_xlsx`) draw from them.

Small numbers: a share, an average or a median computed on fewer than `MIN_BASE` people (or
answers) is never shown as a number but as "< 5" (a percentage of 3 people says more about
those 3 people than about the programme, and can point at one of them). Such figures are
typed (`Share`, `Average`, `Median`) and turned into text in one place, `show`.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.db.models.aftercare import (
    CandidateFeedback,
    EmployerFeedback,
    MeetingAnswer,
    MeetingReport,
    Outcome,
    Questionnaire,
    QuestionnaireKind,
    QuestionnaireStatus,
    Situation,
)
from bot.db.models.events import Event, EventStatus, Registration, RegistrationStatus, Site
from bot.db.models.people import Role
from bot.db.session import Database
from bot.i18n import N_, Translator
from bot.services.aftercare import funders, schedule
from bot.services.aftercare.funders import OutcomeAnswers, Scheme
from bot.services.aftercare.schedule import SilentPerson

MIN_BASE = 5
TOO_FEW = "< 5"
FOLLOW_UP_OFFSETS = (30, 90)  # always shown, even before anyone answered
RATINGS = (1, 2, 3, 4)
THEMES: tuple[tuple[str, str], ...] = (
    ("cv", N_("CV")),
    ("oral", N_("Speaking")),
    ("non_verbal", N_("Body language")),
    ("soft_skills", N_("Soft skills")),
    ("technical", N_("Job skills")),
)
NEXT_STEPS: tuple[tuple[str, str], ...] = (
    ("none", N_("Nothing planned")),
    ("later", N_("Keep in touch")),
    ("interview", N_("Job interview")),
    ("offer", N_("Job offer")),
)
KINDS: tuple[tuple[str, str], ...] = (
    (QuestionnaireKind.CANDIDATE_MEETING, N_("Candidates after the meeting")),
    (QuestionnaireKind.EMPLOYER_CARD, N_("Employers' cards")),
    (QuestionnaireKind.FOLLOW_UP, N_("Follow-ups")),
)
YEAR_DAYS = 365


# -- scopes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventScope:
    event_id: int


@dataclass(frozen=True)
class ProgrammeScope:
    """Every event of a programme (`Event.format_key`) that has started, cancelled ones aside."""

    programme: str


@dataclass(frozen=True)
class PeriodScope:
    """Events whose day (in their own time zone) is between `start` and `end`, both included;
    cancelled ones aside."""

    start: date
    end: date


ReportScope = EventScope | ProgrammeScope | PeriodScope


def last_twelve_months(today: date) -> PeriodScope:
    return PeriodScope(today - timedelta(days=YEAR_DAYS), today)


# -- figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """`count` people (or answers) out of `base`: a share only when the base is large enough."""

    count: int
    base: int

    @property
    def value(self) -> float | None:
        return self.count / self.base if self.base >= MIN_BASE else None


@dataclass(frozen=True)
class Average:
    """The mean of `count` answers (levels 1–4), shown only from `MIN_BASE` answers."""

    total: float
    count: int

    @property
    def value(self) -> float | None:
        return self.total / self.count if self.count >= MIN_BASE else None


@dataclass(frozen=True)
class Median:
    """The median of `values` (days), shown only from `MIN_BASE` values."""

    values: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.values)

    @property
    def value(self) -> float | None:
        return float(statistics.median(self.values)) if self.count >= MIN_BASE else None


def average_of(values: Sequence[int]) -> Average:
    return Average(float(sum(values)), len(values))


def show(_: Translator, figure: Share | Average | Median) -> str:
    """The one place a figure becomes text: "< 5" under `MIN_BASE`, else "58 %", "3,2 / 4",
    "12 days"."""
    value = figure.value
    if value is None:
        return TOO_FEW
    if isinstance(figure, Share):
        return _.plain("{value} %", value=_.decimal(value * 100, 0))
    if isinstance(figure, Average):
        return _.plain("{value} / 4", value=_.decimal(value, 1))
    return _.plain("{value} days", value=_.decimal(value, 0 if value == int(value) else 1))


# -- the report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EventLine:
    id: int
    name: str
    day: date
    programme: str | None


@dataclass(frozen=True)
class Participation:
    """One role at one site (`site` None: every site). `registered` counts every sign-up but
    the ineligible ones; absent without notice: marked absent without having withdrawn."""

    site: str | None  # "" for sign-ups without a site (remote ones)
    role: str
    registered: int = 0
    confirmed: int = 0
    present: int = 0
    absent_without_notice: int = 0
    withdrawn: int = 0

    @property
    def attendance(self) -> Share:
        return Share(self.present, self.present + self.absent_without_notice)


@dataclass(frozen=True)
class ThemeAverage:
    theme: str
    label: str  # message id
    average: Average


@dataclass(frozen=True)
class Tally:
    key: str
    label: str  # message id
    count: int


@dataclass(frozen=True)
class CategoryShare:
    category: str
    label: str  # message id
    share: Share


@dataclass(frozen=True)
class FollowUp:
    """Outcomes known at `offset_days` after the event, counted per funder's categories."""

    offset_days: int
    people: int
    by_scheme: tuple[tuple[Scheme, tuple[CategoryShare, ...]], ...]

    def categories(self, scheme: Scheme) -> tuple[CategoryShare, ...]:
        return dict(self.by_scheme)[scheme]


@dataclass(frozen=True)
class Responses:
    """Questionnaires of one kind: sent (cancelled ones aside) and what became of them."""

    kind: str
    label: str  # message id
    sent: int
    answered: int
    declined: int
    expired: int
    waiting: int

    @property
    def rate(self) -> Share:
        return Share(self.answered, self.sent)


@dataclass(frozen=True)
class RawAnswer:
    """One answer for the workbook: internal ids only, never a name or a free text. `source`,
    `question` and `answer` are codes (`report_xlsx` writes them in words)."""

    event_id: int
    source: str  # "meeting", "candidate", "employer", "outcome"
    person_id: int | None
    about_id: int | None
    question: str  # "happened", "rating", a theme, "next_step", an outcome's column
    answer: str  # a code ("yes", "cdi", …), a level, a date; "" when not answered
    offset_days: int | None = None  # outcomes: days after the event


@dataclass(frozen=True)
class Report:
    scope: ReportScope
    events: tuple[EventLine, ...]
    participation: tuple[Participation, ...]  # per site and role
    totals: tuple[Participation, ...]  # per role, every site
    meetings: Share  # "it happened" among the answers about meetings
    themes: tuple[ThemeAverage, ...]
    rating: Average
    ratings: tuple[tuple[int, int], ...]  # (level 1–4, how many)
    next_steps: tuple[Tally, ...]
    follow_ups: tuple[FollowUp, ...]
    days_to_job: Median
    wishes_met: Share  # jobs matching the person's wishes, among jobs where it was said
    wishes_partly: Share
    responses: tuple[Responses, ...]
    # People who ignored three questionnaires in a row and are no longer asked.
    silent: tuple[SilentPerson, ...]
    raw: tuple[RawAnswer, ...] = ()

    @property
    def first_day(self) -> date | None:
        return min((e.day for e in self.events), default=None)

    @property
    def last_day(self) -> date | None:
        return max((e.day for e in self.events), default=None)

    def total(self, role: str) -> Participation:
        return next((p for p in self.totals if p.role == role), Participation(None, role))

    def follow_up(self, offset_days: int) -> FollowUp | None:
        return next((f for f in self.follow_ups if f.offset_days == offset_days), None)


# -- reading --------------------------------------------------------------------------------


def _local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


async def _events(session: AsyncSession, scope: ReportScope) -> list[Event]:
    if isinstance(scope, EventScope):
        event = await session.get(Event, scope.event_id)
        return [event] if event is not None else []
    query = select(Event).where(Event.status != EventStatus.CANCELLED).order_by(Event.starts_at)
    if isinstance(scope, ProgrammeScope):
        query = query.where(Event.format_key == scope.programme, Event.starts_at <= clock.now())
        return list(await session.scalars(query))
    # a margin of a day each side, then each event's own day in its own time zone
    start = datetime.combine(scope.start - timedelta(days=1), time(0), UTC)
    end = datetime.combine(scope.end + timedelta(days=2), time(0), UTC)
    found = await session.scalars(query.where(Event.starts_at >= start, Event.starts_at < end))
    return [e for e in found if scope.start <= _local_day(e.starts_at, e.timezone) <= scope.end]


async def _participation(
    session: AsyncSession, event_ids: list[int]
) -> tuple[tuple[Participation, ...], tuple[Participation, ...]]:
    rows = await session.execute(
        select(Registration.role, Registration.status, Registration.attended, Site.name)
        .outerjoin(Site, Site.id == Registration.site_id)
        .where(Registration.event_id.in_(event_ids))
    )
    counts: dict[tuple[str | None, str], Counter[str]] = defaultdict(Counter)
    for role, status, attended, site in rows:
        if status == RegistrationStatus.INELIGIBLE:
            continue
        for key in ((site or "", role), (None, role)):
            tally = counts[key]
            tally["registered"] += 1
            tally["confirmed"] += status == RegistrationStatus.CONFIRMED
            tally["present"] += attended is True
            tally["absent"] += attended is False and status != RegistrationStatus.WITHDRAWN
            tally["withdrawn"] += status == RegistrationStatus.WITHDRAWN

    def line(site: str | None, role: str) -> Participation:
        tally = counts[(site, role)]
        return Participation(
            site,
            role,
            tally["registered"],
            tally["confirmed"],
            tally["present"],
            tally["absent"],
            tally["withdrawn"],
        )

    roles = (Role.CANDIDATE, Role.EMPLOYER)
    sites = sorted({site for site, _role in counts if site is not None})
    per_site = tuple(line(site, role) for site in sites for role in roles)
    return per_site, tuple(line(None, role) for role in roles)


async def _meetings(session: AsyncSession, event_ids: list[int]) -> tuple[Share, list[RawAnswer]]:
    rows = (
        await session.execute(
            select(MeetingReport.event_id, MeetingReport.answer, Questionnaire.person_id)
            .join(Questionnaire, Questionnaire.id == MeetingReport.questionnaire_id)
            .where(MeetingReport.event_id.in_(event_ids))
        )
    ).all()
    happened = sum(answer == MeetingAnswer.YES for _e, answer, _p in rows)
    raw = [RawAnswer(e, "meeting", p, None, "happened", answer) for e, answer, p in rows]
    return Share(happened, len(rows)), raw


async def _employer_feedback(
    session: AsyncSession, event_ids: list[int]
) -> tuple[tuple[ThemeAverage, ...], tuple[Tally, ...], list[RawAnswer]]:
    cards = list(
        await session.scalars(
            select(EmployerFeedback).where(EmployerFeedback.event_id.in_(event_ids))
        )
    )
    themes = tuple(
        ThemeAverage(
            theme,
            label,
            average_of([v for card in cards if (v := getattr(card, theme)) is not None]),
        )
        for theme, label in THEMES
    )
    steps = Counter(card.next_step for card in cards if card.next_step)
    tallies = tuple(Tally(key, label, steps[key]) for key, label in NEXT_STEPS)
    raw = []
    for card in cards:
        answers = [(theme, getattr(card, theme)) for theme, _label in THEMES]
        answers.append(("next_step", card.next_step))
        raw += [
            RawAnswer(
                card.event_id,
                "employer",
                card.employer_id,
                card.candidate_id,
                question,
                "" if value is None else str(value),
            )
            for question, value in answers
        ]
    return themes, tallies, raw


async def _candidate_feedback(
    session: AsyncSession, event_ids: list[int]
) -> tuple[Average, tuple[tuple[int, int], ...], list[RawAnswer]]:
    rows = (
        await session.execute(
            select(CandidateFeedback.event_id, CandidateFeedback.rating, Questionnaire.person_id)
            .join(Questionnaire, Questionnaire.id == CandidateFeedback.questionnaire_id)
            .where(CandidateFeedback.event_id.in_(event_ids))
        )
    ).all()
    ratings = [rating for _e, rating, _p in rows if rating is not None]
    spread = Counter(ratings)
    raw = [
        RawAnswer(e, "candidate", p, None, "rating", "" if rating is None else str(rating))
        for e, rating, p in rows
    ]
    return average_of(ratings), tuple((level, spread[level]) for level in RATINGS), raw


@dataclass(frozen=True)
class _OutcomeRow:
    event_id: int
    person_id: int
    offset_days: int
    answers: OutcomeAnswers
    start_date: date | None
    matches_wishes: str | None


def _follow_ups(rows: list[_OutcomeRow]) -> tuple[FollowUp, ...]:
    by_offset: dict[int, list[_OutcomeRow]] = defaultdict(list)
    for row in rows:
        by_offset[row.offset_days].append(row)
    follow_ups = []
    for offset in sorted(set(FOLLOW_UP_OFFSETS) | set(by_offset)):
        group = by_offset.get(offset, [])
        schemes = []
        for scheme in Scheme:
            found = Counter(funders.classify(row.answers, scheme) for row in group)
            schemes.append(
                (
                    scheme,
                    tuple(
                        CategoryShare(key, label, Share(found[key], len(group)))
                        for key, label in funders.LABELS[scheme].items()
                    ),
                )
            )
        follow_ups.append(FollowUp(offset, len(group), tuple(schemes)))
    return tuple(follow_ups)


def _jobs(rows: list[_OutcomeRow], days: dict[int, date]) -> tuple[Median, Share, Share]:
    """Days to job from each person's first job answer (by offset); wishes from their last."""
    jobs: dict[tuple[int, int], list[_OutcomeRow]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r.offset_days):
        if row.answers.situation == Situation.JOB:
            jobs[(row.event_id, row.person_id)].append(row)
    delays = []
    wishes = []
    for (event_id, _person), answers in jobs.items():
        first = next((r for r in answers if r.start_date is not None), None)
        if first is not None:
            delay = funders.days_to_job(Situation.JOB, first.start_date, days[event_id])
            if delay is not None:
                delays.append(delay)
        last = answers[-1]
        if last.matches_wishes:
            wishes.append(last.matches_wishes)
    return (
        Median(tuple(sorted(delays))),
        Share(wishes.count("yes"), len(wishes)),
        Share(wishes.count("partly"), len(wishes)),
    )


async def _outcomes(
    session: AsyncSession, event_ids: list[int]
) -> tuple[list[_OutcomeRow], list[RawAnswer]]:
    outcomes = list(
        await session.scalars(
            select(Outcome)
            .where(Outcome.event_id.in_(event_ids))
            .order_by(Outcome.event_id, Outcome.person_id, Outcome.offset_days)
        )
    )
    rows = [
        _OutcomeRow(
            o.event_id,
            o.person_id,
            o.offset_days,
            OutcomeAnswers(o.situation, o.contract, o.duration),
            o.start_date,
            o.matches_wishes,
        )
        for o in outcomes
    ]
    raw = []
    for o in outcomes:
        answers = [
            ("situation", o.situation),
            ("start_date", o.start_date.isoformat() if o.start_date else ""),
            ("contract", o.contract or ""),
            ("duration", o.duration or ""),
            ("from_event", o.from_event or ""),
            ("matches_wishes", o.matches_wishes or ""),
            ("by_staff", "yes" if o.by_staff else "no"),
        ]
        raw += [
            RawAnswer(o.event_id, "outcome", o.person_id, None, q, a, o.offset_days)
            for q, a in answers
        ]
    return rows, raw


async def _responses(session: AsyncSession, event_ids: list[int]) -> tuple[Responses, ...]:
    rows = await session.execute(
        select(Questionnaire.kind, Questionnaire.status).where(
            Questionnaire.event_id.in_(event_ids),
            Questionnaire.status != QuestionnaireStatus.CANCELLED,
        )
    )
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for kind, status in rows:
        counts[kind][status] += 1
    return tuple(
        Responses(
            kind,
            label,
            sent=sum(counts[kind].values()),
            answered=counts[kind][QuestionnaireStatus.ANSWERED],
            declined=counts[kind][QuestionnaireStatus.DECLINED],
            expired=counts[kind][QuestionnaireStatus.EXPIRED],
            waiting=counts[kind][QuestionnaireStatus.OPEN],
        )
        for kind, label in KINDS
    )


async def _silent_people(session: AsyncSession, event_ids: list[int]) -> tuple[SilentPerson, ...]:
    """People of these events who ignored three questionnaires in a row (the scheduler's)."""
    found: dict[int, SilentPerson] = {}
    for event_id in event_ids:
        for person in await schedule.silent_people(session, event_id):
            found.setdefault(person.person_id, person)
    return tuple(sorted(found.values(), key=lambda p: (p.first_name.casefold(), p.person_id)))


async def build_report(database: Database, scope: ReportScope) -> Report:
    """Every figure of `/bilan` for the scope (no event found: every figure empty)."""
    async with database.session() as session:
        events = await _events(session, scope)
        ids = [event.id for event in events]
        days = {event.id: _local_day(event.starts_at, event.timezone) for event in events}
        per_site, totals = await _participation(session, ids)
        meetings, meeting_raw = await _meetings(session, ids)
        themes, next_steps, employer_raw = await _employer_feedback(session, ids)
        rating, ratings, candidate_raw = await _candidate_feedback(session, ids)
        outcome_rows, outcome_raw = await _outcomes(session, ids)
        responses = await _responses(session, ids)
        silent = await _silent_people(session, ids)
    days_to_job, wishes_met, wishes_partly = _jobs(outcome_rows, days)
    return Report(
        scope=scope,
        events=tuple(EventLine(e.id, e.name, days[e.id], e.format_key) for e in events),
        participation=per_site,
        totals=totals,
        meetings=meetings,
        themes=themes,
        rating=rating,
        ratings=ratings,
        next_steps=next_steps,
        follow_ups=_follow_ups(outcome_rows),
        days_to_job=days_to_job,
        wishes_met=wishes_met,
        wishes_partly=wishes_partly,
        responses=responses,
        silent=silent,
        raw=tuple(meeting_raw + candidate_raw + employer_raw + outcome_raw),
    )


async def programmes(database: Database) -> list[str]:
    """Programmes (format keys) with at least one event that has started, most recent first."""
    async with database.session() as session:
        rows = await session.execute(
            select(Event.format_key, Event.starts_at)
            .where(
                Event.format_key.is_not(None),
                Event.status != EventStatus.CANCELLED,
                Event.starts_at <= clock.now(),
            )
            .order_by(Event.starts_at.desc())
        )
        return list(dict.fromkeys(key for key, _start in rows if key))


async def recent_events(database: Database, limit: int = 6) -> list[EventLine]:
    """Events that have started, most recent first (cancelled ones aside)."""
    async with database.session() as session:
        found = await session.scalars(
            select(Event)
            .where(Event.status != EventStatus.CANCELLED, Event.starts_at <= clock.now())
            .order_by(Event.starts_at.desc())
            .limit(limit)
        )
        return [
            EventLine(e.id, e.name, _local_day(e.starts_at, e.timezone), e.format_key)
            for e in found
        ]
