"""`/inscrits` through the real bot: counts, pages, portrait cards and the CSV for Excel."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from PIL import Image
from sqlalchemy import delete, select

from bot.context import services
from bot.db.models.events import Registration, Site
from bot.db.models.people import CandidateProfile, EmployerProfile, Person
from bot.sandbox.client import BotMessage, SandboxClient, User
from bot.services.events import EventDraft, QuestionView, SiteView, create_event
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.conversation import step
from tests.helpers.texts import contains, says, t, tn
from tests.helpers.waiting import eventually

YEAR = date.today().year + 1
PAGE = "Page {page} of {pages}"
PERSON_LINE = "{name} — {role}, {status}"
BY_SITE = "• {site}: {candidates} candidates, {employers} employers"
BY_VIDEO = ("• By video: {count} employer", "• By video: {count} employers")
CSV_BUTTON = t("Download the list (CSV)")
CSV_HEADERS = (
    "Role",
    "Status",
    "First name",
    "Last name",
    "Site",
    "Sectors",
    "Target job / company",
    "Programme",
    "Constraints",
    "Registered at",
)


async def seed(bot_runner: BotRunner) -> int:
    """An event with two sites, ten candidates and two employers in various states."""
    assert bot_runner.application is not None
    database = services(bot_runner.application).database
    event = await create_event(
        database,
        EventDraft(
            name="Emploi <Booster> & co",
            starts_at=datetime(YEAR, 3, 12, 12, 30, tzinfo=UTC),
            duration_minutes=180,
            timezone="Europe/Paris",
            sites=(
                SiteView("Roubaix", "Rue 1", 4, False, None),
                SiteView("Tourcoing", "Rue 2", 4, False, None),
            ),
            format_key="jobdating",
            employers_per_room=1,
            candidates_per_room=1,
            rounds=3,
            round_minutes=30,
            max_candidates=50,
            max_employers=15,
            registration_deadline=datetime(YEAR, 3, 10, 17, 0, tzinfo=UTC),
            questions=(QuestionView("Êtes-vous au RSA ?", True),),
        ),
        STAFF_ID,
    )
    registered = datetime(YEAR - 1, 11, 2, 9, 15, tzinfo=UTC)
    statuses = ["registered"] * 6 + ["confirmed", "waiting", "withdrawn", "ineligible"]
    async with database.session() as session:
        site_ids = list(await session.scalars(select(Site.id).order_by(Site.position)))
        for index, status in enumerate(statuses):
            person = Person(
                telegram_id=5000 + index,
                chat_id=5000 + index,
                first_name="Éloïse" if index == 0 else f"Candidat{index}",
                last_name='Martin; "la" Grande' if index == 0 else f"Nom{index}",
                role="candidate",
            )
            person.candidate_profile = CandidateProfile(
                sectors=["D", "K"] if index == 0 else ["N"],
                target_job="Vendeuse" if index == 0 else "Cariste",
                strengths=["Ponctuelle"],
                qualities=["Souriante"],
                programme="RSA",
                constraints='=HYPERLINK("x")' if index == 0 else None,
            )
            session.add(person)
            await session.flush()
            session.add(
                Registration(
                    event_id=event.id,
                    person_id=person.id,
                    role="candidate",
                    status=status,
                    site_id=site_ids[index % 2],
                    created_at=registered + timedelta(minutes=index),
                )
            )
        for index in range(2):
            employer = Person(
                telegram_id=6000 + index,
                chat_id=6000 + index,
                first_name=f"Patron{index}",
                last_name="Dupont",
                role="employer",
            )
            employer.employer_profile = EmployerProfile(
                company="Boulangerie <Paul>", job_title="Gérant", sectors=["D"], jobs="Vendeur"
            )
            session.add(employer)
            await session.flush()
            session.add(
                Registration(
                    event_id=event.id,
                    person_id=employer.id,
                    role="employer",
                    status="confirmed",
                    remote=True,
                    created_at=registered,
                )
            )
    return event.id


async def forget_registrations(bot_runner: BotRunner, keep_telegram_id: int | None) -> None:
    """Remove sign-ups through the bot's own engine (no second writer on the SQLite file)."""
    assert bot_runner.application is not None
    database = services(bot_runner.application).database
    async with database.session() as session:
        kept = select(Person.id).where(Person.telegram_id == keep_telegram_id)
        await session.execute(delete(Registration).where(Registration.person_id.not_in(kept)))


async def test_staff_sees_counts_pages_cards_and_csv(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    event_id = await seed(bot_runner)
    staff = client.user(STAFF_ID, first_name="Sophie")
    choose = await step(staff, lambda: staff.command("inscrits"), "Which event?")
    label = next(label for label in choose.button_labels if "Booster" in label)
    assert label.startswith("12/03 · Emploi <Booster> & co")

    page = await step(staff, lambda: staff.press(label), PAGE, page=1, pages=2)
    counts = next(m for m in await staff.received() if says("<b>Sign-ups — {name}</b>")(m))
    assert t("<b>Sign-ups — {name}</b>", name="Emploi <Booster> & co") in counts.text
    candidates = t("{role}: {total}", role=t("Candidates"), total=10)
    statuses = [(6, "registered"), (1, "attendance confirmed"), (1, "waiting list")]
    details = ", ".join(f"{count} {t(status)}" for count, status in statuses)
    assert f"{candidates} ({details}" in counts.text  # "count status" pairs, as the code joins
    employers = t("{role}: {total}", role=t("Employers"), total=2)
    assert f"{employers} (2 {t('attendance confirmed')})" in counts.text
    assert t(BY_SITE, site="Roubaix", candidates=4, employers=0) in counts.text
    assert tn(*BY_VIDEO, 2) in counts.text  # remote employers, counted apart
    assert t("no site chosen") not in counts.text
    assert t("An employer who accepts several sites counts in each of them.") not in counts.text
    assert page.text.count("\n") == 8  # a header line and eight people
    eloise = 'Éloïse Martin; "la" Grande'
    first = t(PERSON_LINE, name=eloise, role=t("candidate"), status=t("registered"))
    assert f"1. {first} — Roubaix" in page.text
    assert page.button_labels[-2:] == ["▶", CSV_BUTTON]

    await staff.press("▶")
    second = await staff.wait_for(
        lambda m: m.message_id == page.message_id and says(PAGE, page=2, pages=2)(m)
    )
    patron = t(
        PERSON_LINE, name="Patron0 Dupont", role=t("employer"), status=t("attendance confirmed")
    )
    assert patron in second.text
    assert "◀" in second.button_labels

    await staff.press_data(f"insc:page:{event_id}:0", message_id=page.message_id)
    await staff.wait_for(
        lambda m: m.message_id == page.message_id and says(PAGE, page=1, pages=2)(m)
    )
    await staff.press(f"1. {eloise}")
    card = await staff.wait_for(lambda m: "Éloïse" in m.text and says("Target job: {value}")(m))
    hyperlink = '=HYPERLINK("x")'
    assert contains(card.text, "Constraints (staff only): {constraints}", constraints=hyperlink)
    assert card.kind == "photo" and card.photo is not None  # bot.portrait's rendered card
    assert Image.open(io.BytesIO(card.photo)).width > 100

    document = await _press_csv(staff)
    assert document.filename is not None and document.filename.endswith(".csv")
    data = document.document
    assert data is not None and data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [t(header) for header in CSV_HEADERS]
    assert len(rows) == 13 and all(len(row) == 10 for row in rows)
    eloise = rows[1]
    assert eloise[:5] == [
        t("candidate"),
        t("registered"),
        "Éloïse",
        'Martin; "la" Grande',
        "Roubaix",
    ]
    assert eloise[5] == "Commerce et vente, Services à la personne"
    assert eloise[6:9] == ["Vendeuse", "RSA", '\'=HYPERLINK("x")']  # no formula in Excel
    assert eloise[9] == f"02/11/{YEAR - 1} 10:15"  # Paris time
    employer = rows[-1]
    assert employer[:2] == [t("employer"), t("attendance confirmed")]
    assert employer[4] == t("Remote") and employer[6] == "Boulangerie <Paul>"
    assert employer[7:9] == ["", ""]  # programme and constraints are candidates' only
    assert ";" in data.decode("utf-8-sig").splitlines()[0]


async def _press_csv(staff: User) -> BotMessage:
    await staff.press(CSV_BUTTON)

    async def documents() -> list[BotMessage]:
        return [m for m in await staff.received() if m.kind == "document"]

    if not await eventually(documents):
        raise AssertionError("no CSV received")
    return (await documents())[-1]


async def test_empty_event_stale_and_forged_buttons(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await step(
        staff, lambda: staff.command("inscrits"), "No event yet. Type /evenement to create one."
    )
    event_id = await seed(bot_runner)
    await forget_registrations(bot_runner, keep_telegram_id=5000)
    choose = await step(staff, lambda: staff.command("inscrits"), "Which event?")
    await step(staff, lambda: staff.press(choose.button_labels[0]), PAGE, page=1, pages=1)
    await staff.press_data(f"insc:ev:{event_id + 40}")
    await staff.press_data("insc:card:99999")
    await staff.press_data("insc:page:abc:1")
    await staff.press_data("insc:csv:")
    await bot_runner.handled(client)
    answers = [answer.get("text") or "" for answer in await staff.callback_answers()][-4:]
    assert answers == [
        t("This event no longer exists."),
        t("This person is no longer registered."),
        t("This button is no longer valid."),
        t("This button is no longer valid."),
    ]
    await forget_registrations(bot_runner, keep_telegram_id=None)
    await step(staff, lambda: staff.press(choose.button_labels[0]), "Nobody has signed up yet.")


ACTIVE_SQL = "r.status IN ('registered', 'confirmed') AND r.event_id = ?"


async def add_employers(bot_runner: BotRunner, event_id: int) -> None:
    """Employers who accept both sites, one site, none (no choice), or come by video."""
    assert bot_runner.application is not None
    database = services(bot_runner.application).database
    async with database.session() as session:
        roubaix, tourcoing = list(
            await session.scalars(
                select(Site.id).where(Site.event_id == event_id).order_by(Site.position)
            )
        )
        choices = [
            ([roubaix, tourcoing], False, "registered"),
            ([tourcoing], False, "confirmed"),
            ([tourcoing], False, "withdrawn"),  # not counted: no longer active
            ([roubaix, roubaix], False, "registered"),  # a repeated id counts once
            ([], False, "registered"),  # no site chosen
            ([roubaix], True, "registered"),  # by video, whatever it ticked
        ]
        for index, (accepted, remote, status) in enumerate(choices):
            employer = Person(
                telegram_id=7000 + index,
                chat_id=7000 + index,
                first_name=f"Chef{index}",
                role="employer",
            )
            session.add(employer)
            await session.flush()
            session.add(
                Registration(
                    event_id=event_id,
                    person_id=employer.id,
                    role="employer",
                    status=status,
                    accepted_site_ids=accepted,
                    remote=remote,
                )
            )


async def test_counts_per_site_follow_accepted_sites(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    event_id = await seed(bot_runner)
    await add_employers(bot_runner, event_id)
    staff = client.user(STAFF_ID, first_name="Sophie")
    choose = await step(staff, lambda: staff.command("inscrits"), "Which event?")
    label = next(label for label in choose.button_labels if "Booster" in label)
    page = await step(staff, lambda: staff.press(label), PAGE, page=1, pages=3)
    counts = next(m for m in await staff.received() if says("<b>Sign-ups — {name}</b>")(m))

    candidates = dict(
        sql(
            "SELECT s.name, COUNT(*) FROM registrations r JOIN sites s ON s.id = r.site_id"
            f" WHERE r.role = 'candidate' AND {ACTIVE_SQL} GROUP BY s.name",
            event_id,
        )
    )
    site_names = dict(sql("SELECT id, name FROM sites"))
    employers = dict(
        Counter(
            site_names[site_id]
            for (accepted,) in sql(
                "SELECT r.accepted_site_ids FROM registrations r"
                f" WHERE r.role = 'employer' AND NOT r.remote AND {ACTIVE_SQL}",
                event_id,
            )
            for site_id in set(json.loads(accepted))
            if site_id in site_names
        )
    )
    no_site = sql.scalar(
        "SELECT COUNT(*) FROM registrations r WHERE r.role = 'employer' AND NOT r.remote"
        f" AND json_array_length(r.accepted_site_ids) = 0 AND {ACTIVE_SQL}",
        event_id,
    )
    remote = sql.scalar(
        "SELECT COUNT(*) FROM registrations r"
        f" WHERE r.role = 'employer' AND r.remote AND {ACTIVE_SQL}",
        event_id,
    )
    assert (candidates, employers, no_site, remote) == (
        {"Roubaix": 4, "Tourcoing": 3},
        {"Roubaix": 2, "Tourcoing": 2},
        1,
        3,
    )
    for site in ("Roubaix", "Tourcoing"):
        line = t(BY_SITE, site=site, candidates=candidates[site], employers=employers[site])
        assert line in counts.text
    assert t(BY_SITE, site=t("no site chosen"), candidates=0, employers=no_site) in counts.text
    assert tn(*BY_VIDEO, remote) in counts.text
    assert t("An employer who accepts several sites counts in each of them.") in counts.text
    roubaix = counts.text.index(t(BY_SITE, site="Roubaix", candidates=4, employers=2))
    assert roubaix < counts.text.index(t(BY_SITE, site="Tourcoing", candidates=3, employers=2))

    await staff.press("▶")
    page_two = await staff.wait_for(
        lambda m: m.message_id == page.message_id and says(PAGE, page=2, pages=3)(m)
    )
    chef = t(PERSON_LINE, name="Chef0", role=t("employer"), status=t("registered"))
    assert f"{chef} — Roubaix, Tourcoing" in page_two.text
