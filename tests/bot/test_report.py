"""`/bilan`: the figures of `build_report` against SQL written here, the "< 5" rule, scopes,
and the command through the real bot (picture, summary, workbook; refused to non-staff)."""

from __future__ import annotations

import io
import statistics
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot import clock
from bot.context import services
from bot.db.session import Database
from bot.i18n import Translator
from bot.sandbox.client import BotMessage, User
from bot.services.aftercare import schedule
from bot.services.aftercare.funders import Scheme
from bot.services.aftercare.report import (
    TOO_FEW,
    Average,
    EventScope,
    Median,
    PeriodScope,
    ProgrammeScope,
    Share,
    build_report,
    last_twelve_months,
    show,
)
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.report import EVENT_NAME, Seeded, add_event, seed_report_event
from tests.helpers.texts import contains, t
from tests.helpers.waiting import eventually

_ = Translator.for_language("fr")
THEMES = ("cv", "oral", "non_verbal", "soft_skills", "technical")
NOT_STAFF_COMMAND = "This command is for the organising team only."
NOT_STAFF_BUTTON = "This is for the organising team only."

# IAE "sorties dynamiques" written again in SQL, independently of funders.toml.
IAE_SQL = """
select case
  when situation = 'job' and contract in ('cdi', 'own') then 'durable'
  when situation = 'job' and contract in ('cdd', 'interim')
       and duration in ('6plus', 'open') then 'durable'
  when situation = 'job' and contract in ('cdd', 'interim')
       and duration in ('lt1', '1to6') then 'transition'
  when situation = 'job' and contract = 'aided' then 'transition'
  when situation = 'job' then 'unknown'
  when situation = 'training' then 'positive'
  else 'other' end as category, count(*)
from outcomes where event_id = ? and offset_days = ? group by category
"""


def database_of(runner: BotRunner) -> Database:
    assert runner.application is not None
    return services(runner.application).database


async def seeded(bot_runner: BotRunner) -> Seeded:
    return await seed_report_event(database_of(bot_runner))


def close(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and abs(a - b) < 1e-9


async def test_figures_equal_sql(bot_runner: BotRunner, sql: Sql) -> None:
    seed = await seeded(bot_runner)
    event = seed.event_id
    report = await build_report(database_of(bot_runner), EventScope(event))
    assert [line.id for line in report.events] == [event]

    # participation, per role and per site
    for role in ("candidate", "employer"):
        registered, confirmed, present, absent, withdrawn = sql(
            "select count(*), count(case when status = 'confirmed' then 1 end),"
            " count(case when attended then 1 end),"
            " count(case when attended = false and status != 'withdrawn' then 1 end),"
            " count(case when status = 'withdrawn' then 1 end)"
            " from registrations where event_id = ? and role = ? and status != 'ineligible'",
            event,
            role,
        )[0]
        total = report.total(role)
        assert (
            total.registered,
            total.confirmed,
            total.present,
            total.absent_without_notice,
            total.withdrawn,
        ) == (registered, confirmed, present, absent, withdrawn)
    assert (report.total("candidate").registered, report.total("candidate").present) == (11, 7)
    assert report.total("candidate").absent_without_notice == 2
    for site, role, registered, present in sql(
        "select s.name, r.role, count(*), count(case when r.attended then 1 end)"
        " from registrations r"
        " join sites s on s.id = r.site_id where r.event_id = ? and r.status != 'ineligible'"
        " group by s.name, r.role",
        event,
    ):
        line = next(p for p in report.participation if p.site == site and p.role == role)
        assert (line.registered, line.present) == (registered, present)

    # "did it happen?"
    yes, answers = sql(
        "select count(case when answer = 'yes' then 1 end), count(*) from meeting_reports"
        " where event_id = ?",
        event,
    )[0]
    assert (report.meetings.count, report.meetings.base) == (yes, answers) == (10, 12)

    # employers' themes, "je ne sais pas" (NULL) left out, number of answers beside
    for theme in report.themes:
        average, count = sql(
            f"select avg({theme.theme}), count({theme.theme}) from employer_feedback"
            " where event_id = ?",
            event,
        )[0]
        assert theme.average.count == count
        if count >= 5:
            assert close(theme.average.value, average)
        else:
            assert theme.average.value is None and show(_, theme.average) == TOO_FEW
    assert [theme.average.count for theme in report.themes] == [5, 5, 4, 5, 3]

    # candidates' own ratings
    average, count = sql(
        "select avg(rating), count(rating) from candidate_feedback where event_id = ?", event
    )[0]
    assert report.rating.count == count == 5 and close(report.rating.value, average)
    spread = dict(
        sql(
            "select rating, count(*) from candidate_feedback where event_id = ?"
            " and rating is not null group by rating",
            event,
        )
    )
    assert dict(report.ratings) == {level: spread.get(level, 0) for level in (1, 2, 3, 4)}

    # employers' "what next"
    steps = dict(
        sql(
            "select next_step, count(*) from employer_feedback where event_id = ?"
            " and next_step is not null group by next_step",
            event,
        )
    )
    assert {step.key: step.count for step in report.next_steps} == {
        key: steps.get(key, 0) for key in ("none", "later", "interview", "offer")
    }

    # outcomes at +30 and +90 in the IAE's categories
    for offset in (30, 90):
        expected = dict(sql(IAE_SQL, event, offset))
        follow_up = report.follow_up(offset)
        assert follow_up is not None
        assert follow_up.people == sum(expected.values())
        found = {
            c.category: c.share.count for c in follow_up.categories(Scheme.IAE) if c.share.count
        }
        assert found == expected
    later = report.follow_up(90)
    assert later is not None
    durable_90 = next(c for c in later.categories(Scheme.IAE) if c.category == "durable")
    assert (durable_90.share.count, durable_90.share.base, show(_, durable_90.share)) == (
        3,
        5,
        t("{value} %", value="60"),
    )

    # median days to a job: each person's first job (by offset) with a start date
    delays = [
        (date.fromisoformat(start) - date.fromisoformat(starts_at[:10])).days
        for start, starts_at in sql(
            "select o.start_date, e.starts_at from outcomes o"
            " join events e on e.id = o.event_id"
            " where o.event_id = ? and o.situation = 'job' and o.start_date is not null"
            " and o.offset_days = (select min(offset_days) from outcomes x"
            "   where x.event_id = o.event_id and x.person_id = o.person_id"
            "   and x.situation = 'job' and x.start_date is not null)",
            event,
        )
    ]
    assert report.days_to_job.count == len(delays) == 5
    assert report.days_to_job.value == statistics.median(delays) == 20

    # jobs matching wishes: each person's last job answer, where it said
    wishes = [
        wish
        for (wish,) in sql(
            "select o.matches_wishes from outcomes o where o.event_id = ? and o.situation = 'job'"
            " and o.offset_days = (select max(offset_days) from outcomes x"
            "   where x.event_id = o.event_id and x.person_id = o.person_id"
            "   and x.situation = 'job') and o.matches_wishes is not null",
            event,
        )
    ]
    assert (report.wishes_met.count, report.wishes_met.base) == (wishes.count("yes"), len(wishes))
    assert show(_, report.wishes_met) == t("{value} %", value="80")

    # answers per kind of questionnaire, cancelled ones aside
    for responses in report.responses:
        sent, answered = sql(
            "select count(*), count(case when status = 'answered' then 1 end) from questionnaires"
            " where event_id = ?"
            " and kind = ? and status != 'cancelled'",
            event,
            responses.kind,
        )[0]
        assert (responses.sent, responses.answered) == (sent, answered)
    assert [(r.sent, r.answered) for r in report.responses] == [(7, 6), (7, 6), (14, 11)]

    async with database_of(bot_runner).session() as session:
        silent = await schedule.silent_people(session, event)
    assert [p.person_id for p in report.silent] == [p.person_id for p in silent]


@pytest.mark.parametrize(
    ("figure", "shown"),
    [
        (Share(4, 4), TOO_FEW),
        (Share(0, 4), TOO_FEW),
        (Share(4, 5), "80"),
        (Share(0, 5), "0"),
        (Average(12.0, 4), TOO_FEW),
        (Average(15.0, 5), "3,0 / 4"),
        (Median((1, 2, 3, 4)), TOO_FEW),
        (Median((1, 2, 3, 4, 50)), "3"),
    ],
)
def test_under_five_people_no_figure(figure: Share | Average | Median, shown: str) -> None:
    text = show(_, figure)
    if shown == TOO_FEW:
        assert text == TOO_FEW and figure.value is None
    elif isinstance(figure, Share):
        assert text == t("{value} %", value=shown) and "%" in text
    elif isinstance(figure, Median):
        assert text == t("{value} days", value=shown)
    else:
        assert text == shown


async def test_four_people_show_less_than_five_five_show_a_percentage(
    bot_runner: BotRunner,
) -> None:
    database = database_of(bot_runner)
    four = await add_event(database, name="Quatre", days_ago=10, candidates=4, code="FOUR")
    five = await add_event(database, name="Cinq", days_ago=11, candidates=5, code="FIVE")
    small = (await build_report(database, EventScope(four))).total("candidate").attendance
    large = (await build_report(database, EventScope(five))).total("candidate").attendance
    assert (small.count, small.base, show(_, small)) == (4, 4, TOO_FEW)
    assert (large.count, large.base, show(_, large)) == (5, 5, t("{value} %", value="100"))


async def test_scopes(bot_runner: BotRunner, sql: Sql) -> None:
    database = database_of(bot_runner)
    seed = await seeded(bot_runner)
    older = await add_event(database, name="Ose hiver", days_ago=200, candidates=2, code="OLD")
    oldest = await add_event(database, name="Ose 2025", days_ago=400, candidates=3, code="OLDEST")
    await add_event(
        database, name="Annulé", days_ago=50, candidates=6, status="cancelled", code="CANC"
    )
    speed = await add_event(
        database, name="Speed", days_ago=20, format_key="speed", candidates=1, code="SPD"
    )
    await add_event(database, name="À venir", days_ago=-30, candidates=5, code="SOON")

    programme = await build_report(database, ProgrammeScope("ose"))
    assert [e.id for e in programme.events] == [oldest, older, seed.event_id]
    assert programme.total("candidate").registered == 11 + 2 + 3

    year = await build_report(database, last_twelve_months(clock.now().date()))
    assert {e.id for e in year.events} == {older, seed.event_id, speed}
    period = await build_report(
        database, PeriodScope(min(e.day for e in programme.events), seed.event_day)
    )
    assert {e.id for e in period.events} == {oldest, older, seed.event_id}
    nothing = await build_report(database, ProgrammeScope("cohort"))
    assert nothing.events == () and nothing.total("candidate").registered == 0


# -- through the bot ------------------------------------------------------------------------


async def _new_messages(user: User, before: int, kinds: set[str]) -> list[BotMessage]:
    async def arrived() -> bool:
        return kinds <= {m.kind for m in (await user.received())[before:]}

    assert await eventually(arrived, 20), await user.received()
    return (await user.received())[before:]


def _rows(sheet: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


async def test_bilan_sends_chart_summary_and_workbook(
    bot_runner: BotRunner, client: Any, sql: Sql
) -> None:
    seed = await seeded(bot_runner)
    staff = client.user(STAFF_ID, first_name="Sophie")
    await staff.command("bilan")
    menu = await staff.wait_for(lambda m: contains(m.text, "Which report do you want?"))
    event_label = f"{seed.event_day:%d/%m} · {EVENT_NAME}"
    programme_label = t("Programme: {name}", name=t("Ose ton projet 2+2"))
    assert menu.button_labels == [event_label, programme_label, t("The last 12 months")]

    before = len(await staff.received())
    await staff.press(event_label)
    photo, document = await _new_messages(staff, before, {"photo", "document"})
    assert photo.kind == "photo" and photo.photo is not None
    picture = Image.open(io.BytesIO(photo.photo))
    assert picture.format == "PNG" and picture.width >= 800 and picture.height > picture.width
    title = t("{name} – {day}", name=EVENT_NAME, day=f"{seed.event_day:%d/%m/%Y}")
    assert photo.text.startswith(title)
    assert len(photo.text.split()) <= 60
    assert contains(
        photo.text, "The meeting took place: {share}.", share=t("{value} %", value="83")
    )
    assert contains(
        photo.text, "Median days to a job: {value}.", value=t("{value} days", value="20")
    )

    assert document.kind == "document" and document.document is not None
    assert document.filename == f"bilan-{seed.event_day.isoformat()}.xlsx"
    book = load_workbook(io.BytesIO(document.document), read_only=True)
    participation = _rows(book[t("Participation")])
    assert participation[0][:3] == (t("Site"), t("Role"), t("Registered"))
    for role, label in (("candidate", t("Candidates")), ("employer", t("Employers"))):
        registered, present = sql(
            "select count(*), count(case when attended then 1 end) from registrations"
            " where event_id = ?"
            " and role = ? and status != 'ineligible'",
            seed.event_id,
            role,
        )[0]
        row = next(r for r in participation if r[:2] == (t("All sites"), label))
        assert (row[2], row[4]) == (registered, present)
    meetings = _rows(book[t("Meetings")])
    assert meetings[1][:2] == tuple(
        sql(
            "select count(case when answer = 'yes' then 1 end), count(*) from meeting_reports"
            " where event_id = ?",
            seed.event_id,
        )[0]
    )
    outcomes = _rows(book[t("Outcomes")])
    iae = t("Insertion through economic activity (France)")
    for offset in (30, 90):
        expected = dict(sql(IAE_SQL, seed.event_id, offset))
        found = {r[2]: r[3] for r in outcomes[1:] if r[0] == offset and r[1] == iae and r[3]}
        labels = {
            "durable": t("Lasting job"),
            "transition": t("Transition job"),
            "positive": t("Positive exit (training)"),
            "other": t("Other exit"),
            "unknown": t("To be completed"),
        }
        assert found == {labels[key]: count for key, count in expected.items()}
    themes = {r[0]: r[1:] for r in _rows(book[t("Employers' view")])[1:]}
    assert themes[t("Body language")] == (TOO_FEW, 4)
    raw = _rows(book[t("Raw answers")])
    assert len(raw) > 1
    assert raw[0][3] == t("Person id")
    people = {row[3] for row in raw[1:]}
    assert seed.person_ids["c0"] in people
    c0_contract = next(
        row for row in raw if row[3] == seed.person_ids["c0"] and row[5] == t("Contract")
    )
    assert c0_contract[2] == 30 and c0_contract[6] == t("permanent contract (CDI)")
    everything = " ".join(
        str(cell) for name in book.sheetnames for row in _rows(book[name]) for cell in row
    )
    for first_name in seed.first_names.values():
        assert first_name not in everything  # ids only, never a name
    assert "NomC0" not in everything

    before = len(await staff.received())
    await staff.press(t("The last 12 months"))
    year_photo, _document = await _new_messages(staff, before, {"photo", "document"})
    assert year_photo.text.startswith(t("The last 12 months"))


async def test_stale_and_forged_buttons(bot_runner: BotRunner, client: Any) -> None:
    await seeded(bot_runner)
    staff = client.user(STAFF_ID, first_name="Sophie")
    for data in ("bilan:ev:99999", "bilan:prog:cohort", "bilan:ev:x", "bilan"):
        await staff.press_data(data)
    await bot_runner.handled(client)
    answers = [answer.get("text") or "" for answer in await staff.callback_answers()]
    assert answers == [
        t("This event no longer exists. Type /bilan."),
        t("No event took place for this report. Type /bilan."),
        t("This button is no longer valid. Type /bilan."),
        t("This button is no longer valid. Type /bilan."),
    ]
    assert not [m for m in await staff.received() if m.kind in ("photo", "document")]


async def test_nothing_to_report_yet(bot_runner: BotRunner, client: Any) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await add_event(database_of(bot_runner), name="Demain", days_ago=-1, code="TMRW")
    await staff.command("bilan")
    await staff.wait_for(
        lambda m: contains(m.text, "No event has taken place yet: there is nothing to report.")
    )


async def test_refused_to_participants(bot_runner: BotRunner, client: Any) -> None:
    seed = await seeded(bot_runner)
    candidate = client.user(600000, first_name=seed.first_names["c0"])
    await candidate.command("bilan")
    await candidate.wait_for(lambda m: contains(m.text, NOT_STAFF_COMMAND))
    await candidate.press_data(f"bilan:ev:{seed.event_id}")
    await candidate.press_data("bilan:year")
    await bot_runner.handled(client)
    answers = [answer.get("text") or "" for answer in await candidate.callback_answers()]
    assert answers == [t(NOT_STAFF_BUTTON)] * 2
    assert not [m for m in await candidate.received() if m.kind in ("photo", "document")]
