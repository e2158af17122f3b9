"""Offline mode: the real bot against the local Bot API, with a scripted conversation.

With no Telegram token, `passerelle run` starts `bot.sandbox` on 127.0.0.1, runs the real bot
on its own SQLite file (`<data>/demo.sqlite3`, deleted at each start so a run never meets the
previous one's people), and plays two events as simulated users: an "Ose ton projet" morning
(8 candidates, 8 employers, rooms of 2 + 2) and an "Emploi Booster" job dating (`demo_booster`:
50 candidates, 15 employers, 4 sites, several rounds of 1 + 1, a withdrawal and a re-plan, the
reminders on a moved clock, then what comes after: `demo_aftercare`). Staff create each
event, people sign up from the invitation links, staff plan and publish, convocations go out
through the outbox. Key exchanges are printed as a chat transcript; repetitive ones are
played silently and summed up in one line; a progress bar runs on stderr. Pictures (QR codes,
portrait cards, the plans, the report's chart) and the Excel file land in `<data>/demo/`.

`PASSERELLE_DEMO_QUICK=1` (or `run_demo(..., quick=True)`) plays a smaller Booster, for CI.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import sys
import time
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import func, select
from telegram.warnings import PTBUserWarning

from bot import clock
from bot.config import Settings, masked_url
from bot.db.models.events import Event
from bot.db.models.people import Person
from bot.db.session import Database
from bot.demo_aftercare import AFTERCARE_PHASES
from bot.demo_booster import BOOSTER_PHASES, play_booster
from bot.demo_kit import (
    CONFIRMED,
    CONVOCATION,
    PORTRAIT_CARD,
    QUICK_SETTLE_SECONDS,
    SETTLE_SECONDS,
    Candidate,
    Demo,
    Employer,
    EventSpec,
    Progress,
    SiteSpec,
    Transcript,
    confirm_quietly,
    create_event,
    photos,
    plain,
    plan_and_publish,
    save_qr_codes,
    says,
    sign_up_candidate,
    sign_up_employer,
    sign_up_quietly,
    value_of,
    wait_for,
    week_day,
)
from bot.embedded import running_bot
from bot.i18n import N_, Translator
from bot.sandbox.client import SandboxClient, User
from bot.sandbox.server import SandboxServer

DEMO_TOKEN = "100000:OFFLINE-DEMO"
DEMO_STAFF_ID = 7000001
DEMO_CANDIDATE_ID = 7000101
DEMO_EMPLOYER_ID = 7000201
DEMO_DATABASE = "demo.sqlite3"
DEMO_FOLDER = "demo"
QUICK_VARIABLE = "PASSERELLE_DEMO_QUICK"
# The demo's own outbox pace: the local Bot API has no global limit (each chat still gets at
# most one message a second, as on Telegram).
DEMO_RATE_PER_SECOND = 120

OSE_NAME = "Ose ton projet"
SITE_NAME = "Espace Riponne"
SITE_ADDRESS = "Place de la Riponne 10, Lausanne"
ZONE = "Europe/Zurich"


def _candidate(offset: int, *fields: str) -> Candidate:
    first, last, age, sector, code, job, skill, quality = fields
    return Candidate(
        DEMO_CANDIDATE_ID + offset, first, last, age, sector, code, job, skill, quality, SITE_NAME
    )


def _employer(offset: int, *fields: str) -> Employer:
    first, last, company, title, sector, code, jobs = fields
    return Employer(
        DEMO_EMPLOYER_ID + offset, first, last, company, title, sector, code, jobs, (SITE_NAME,)
    )


HEALTH, SALES, HOTELS = "Santé", "Commerce et vente", "Hôtellerie, restauration, tourisme"
REPAIRS, BUILDING = "Installation et maintenance", "Bâtiment et travaux publics"
TRANSPORT, CARE, OFFICE = (
    "Transport et logistique",
    "Services à la personne",
    "Support à l'entreprise (gestion, RH, informatique)",
)
CANDIDATES = (
    _candidate(
        0,
        "Amina",
        "Diallo",
        "26-35",
        HEALTH,
        "J",
        "Aide-soignante",
        "Aide aux personnes âgées",
        "Patient·e",
    ),
    _candidate(
        1,
        "Karim",
        "Benali",
        "18-25",
        SALES,
        "D",
        "Vendeur en boulangerie",
        "Vente et conseil",
        "Souriant·e",
    ),
    _candidate(2, "Léa", "Rossier", "36-45", HOTELS, "G", "Cuisinière", "Cuisine", "Organisé·e"),
    _candidate(3, "Yves", "Morel", "46-55", REPAIRS, "I", "Électricien", "Bricolage", "Fiable"),
    _candidate(
        4,
        "Fatou",
        "Ndiaye",
        "26-35",
        CARE,
        "K",
        "Auxiliaire de vie",
        "Ménage et entretien",
        "À l'écoute",
    ),
    _candidate(5, "Tiago", "Ferreira", "18-25", BUILDING, "F", "Maçon", "Bricolage", "Ponctuel·le"),
    _candidate(
        6,
        "Sarah",
        "Bühler",
        "36-45",
        OFFICE,
        "M",
        "Assistante administrative",
        "Accueil du public",
        "Organisé·e",
    ),
    _candidate(7, "Olivier", "Girard", "56+", TRANSPORT, "N", "Magasinier", "Conduite", "Fiable"),
)
EMPLOYERS = (
    _employer(
        0,
        "Claire",
        "Favre",
        "Clinique des Alpes",
        "Responsable RH",
        HEALTH,
        "J",
        "Aide-soignant·e, infirmier·ère",
    ),
    _employer(
        1,
        "Marc",
        "Rochat",
        "Boulangerie du Lac",
        "Gérant",
        SALES,
        "D",
        "Vendeur·se, boulanger·ère",
    ),
    _employer(
        2,
        "Paul",
        "Meyer",
        "Hôtel Beau-Rivage",
        "Chef de cuisine",
        HOTELS,
        "G",
        "Cuisinier·ère, commis",
    ),
    _employer(
        3,
        "Nora",
        "Keller",
        "Garage Central",
        "Cheffe d'atelier",
        REPAIRS,
        "I",
        "Mécanicien·ne, électricien·ne",
    ),
    _employer(
        4,
        "Hélène",
        "Dubois",
        "Aide à domicile Léman",
        "Directrice",
        CARE,
        "K",
        "Auxiliaire de vie, aide ménager·ère",
    ),
    _employer(
        5,
        "Rui",
        "Costa",
        "Constructions Vaudoises",
        "Chef de chantier",
        BUILDING,
        "F",
        "Maçon·ne, manœuvre",
    ),
    _employer(
        6,
        "Anne",
        "Pittet",
        "Fiduciaire Riponne",
        "Associée",
        OFFICE,
        "M",
        "Assistant·e administratif·ve",
    ),
    _employer(
        7,
        "Luc",
        "Bonvin",
        "Transports Lémaniques",
        "Responsable logistique",
        TRANSPORT,
        "N",
        "Magasinier·ère, chauffeur·se livreur·se",
    ),
)


def ose_spec() -> EventSpec:
    return EventSpec(
        name=OSE_NAME,
        day=week_day(21, 1),  # a Tuesday, three weeks ahead or a bit more
        start="9h00",
        duration="3h",
        zone=ZONE,
        sites=(SiteSpec(SITE_NAME, len(CANDIDATES) // 2, address=SITE_ADDRESS),),
        format_label=N_("Ose ton projet 2+2"),
        rounds=1,
        round_minutes="",
        max_candidates=len(CANDIDATES),
        max_employers=len(EMPLOYERS),
    )


OSE_PHASES = (
    (N_("Ose ton projet: the event is created"), 3.0),
    (N_("Ose ton projet: sign-ups"), 3.0),
    (N_("Ose ton projet: plan and convocations"), 5.0),
)


# ------------------------------------------------------------------------- 1. the event


async def create_ose(demo: Demo, sophie: User) -> tuple[int, str, str]:
    """Sophie creates the event with /evenement; returns its id and the invitation codes."""
    _, t = demo._, demo.transcript
    demo.phase(_.plain(OSE_PHASES[0][0]))
    t.section(_.plain("1. Sophie (staff) creates an event with /evenement"))
    await t.act(sophie, "/aide", lambda: sophie.command("aide"), "/evenement")
    created = await create_event(demo, sophie, ose_spec())
    await save_qr_codes(demo, sophie, "")
    return created


# ------------------------------------------------------------------------- 2. sign-ups


async def sign_up_everyone(demo: Demo, event_id: int, codes: tuple[str, str]) -> dict[str, User]:
    _, t = demo._, demo.transcript
    demo.phase(_.plain(OSE_PHASES[1][0]))
    users = {p.first_name: demo.user(p) for p in (*CANDIDATES, *EMPLOYERS)}
    amina, claire = CANDIDATES[0], EMPLOYERS[0]
    t.section(_.plain("2. Amina, a candidate, signs up from the candidate link"))
    await sign_up_candidate(demo, users[amina.first_name], codes[0], amina, demo.programmes[0])

    started = time.monotonic()
    t.quiet = True
    try:
        # Claire (the clinic) asks to meet Amina: a wish the matching takes into account.
        await sign_up_employer(demo, users[claire.first_name], codes[1], claire, amina.first_name)
        await sign_up_quietly(demo, event_id, [*CANDIDATES[1:], *EMPLOYERS[1:]])
    finally:
        t.quiet = False
    t.say(
        "\n⏩ "
        + _.plain(
            "{candidates} more candidates ({names}) and {employers} employers ({companies}) "
            "signed up the same way, from the links ({seconds:.0f} s, not shown).",
            candidates=len(CANDIDATES) - 1,
            names=", ".join(p.first_name for p in CANDIDATES[1:]),
            employers=len(EMPLOYERS),
            companies=", ".join(f"{p.first_name} – {p.company}" for p in EMPLOYERS),
            seconds=time.monotonic() - started,
        )
    )
    t.say("   " + _.plain("Claire asked to meet Amina."))
    return users


# ------------------------------------------------------------------------- 3. the card


async def show_profile(demo: Demo, amina: User) -> None:
    _, t = demo._, demo.transcript
    t.section(_.plain("3. Amina looks at her portrait card with /profil"))
    photos_before = len(await photos(amina, 0, 0))
    card = await t.act(
        amina, "/profil", lambda: amina.command("profil"), lambda m: m.kind == "photo"
    )
    await photos(amina, photos_before + 1)
    if card is not None:
        path = demo.save("fiche-amina.png", card.photo)
        t.say("   💾 " + _.plain("Portrait card saved: {path}", path=path))


# ------------------------------------------------------------------------- 4. the plan


async def plan_ose(demo: Demo, sophie: User) -> None:
    _, t = demo._, demo.transcript
    demo.phase(_.plain(OSE_PHASES[2][0]))
    t.section(_.plain("4. Sophie builds the rooms with /plan and publishes"))
    plan = await plan_and_publish(demo, sophie, OSE_NAME, "")
    if any("Claire" in line and "Amina" in line for line in plan.text.splitlines()):
        t.say("   " + _.plain("Claire's wish is respected: she meets Amina."))


# ------------------------------------------------------------------------- 5. convocations


async def convocations(demo: Demo, event_id: int, users: dict[str, User]) -> None:
    _, t = demo._, demo.transcript
    t.section(_.plain("5. The convocations go out through the outbox"))
    amina = users[CANDIDATES[0].first_name]
    # The others confirm too, in the background, as their convocations arrive.
    others = [user for user in users.values() if user is not amina]
    confirming = asyncio.create_task(confirm_quietly(demo, others, event_id))
    is_convocation = says(_, CONVOCATION, event=OSE_NAME)
    convocation = await wait_for(amina, is_convocation, timeout=30)
    t.say(_.plain("📬 Amina receives (sent by the outbox, at most 1 message per second per chat):"))
    t.show(convocation)
    calendar = await wait_for(amina, lambda m: m.kind == "document", timeout=15)
    t.show(calendar)
    if calendar.document:
        path = demo.save(calendar.filename or "convocation.ics", calendar.document)
        t.say("   💾 " + _.plain("Calendar file saved: {path}", path=path))
    await t.press(amina, _.plain("I confirm I will come"), says(_, CONFIRMED, event=OSE_NAME))

    # An employer in Amina's room: the one whose convocation names her.
    employers = [users[p.first_name] for p in EMPLOYERS]
    for employer in employers:
        await wait_for(employer, is_convocation, timeout=30)
    ahead = [
        e
        for e in employers
        if any("Amina" in m.text for m in await e.received() if is_convocation(m))
    ]
    employer = ahead[0] if ahead else employers[0]
    cards = await wait_for(employer, lambda m: m.kind == "photo" and "Amina" in m.text, timeout=30)
    # The second card follows at the chat's pace (one message a second).
    received = await photos(employer, 2, timeout=15)
    names = [
        re.sub(r"^(d'|de |of )", "", value_of(_, PORTRAIT_CARD, plain(m.text), "of_name") or "")
        for m in received
    ]
    path = demo.save(f"fiche-vue-par-{employer.first_name.lower()}.png", cards.photo)
    t.say(
        "\n📬 "
        + _.plain(
            "{employer} received the convocation, the calendar file and the portrait cards "
            "of the candidates of the room: {names} (saved: {path}).",
            employer=employer.first_name,
            names=", ".join(names),
            path=path,
        )
    )
    t.say("   " + _.plain("Every participant got the same: their room, the time, the address."))
    await confirming
    t.say("   " + _.plain("The {count} others confirmed too, with one tap.", count=len(others)))


# ------------------------------------------------------------------------- the end


async def summary(demo: Demo) -> None:
    _, t = demo._, demo.transcript
    t.section(_.plain("What the database holds now"))
    stats = await demo.client.stats()
    roles: dict[str, int] = {
        str(role): int(str(count))
        for role, count in demo.sql("select role, count(*) from people group by role")
    }
    t.say(
        _.plain(
            "People: {candidates} candidates, {employers} employers, {staff} staff",
            candidates=roles.get("candidate", 0),
            employers=roles.get("employer", 0),
            staff=roles.get("staff", 0),
        )
    )
    for name, event_id in demo.events.items():
        t.say(
            _.plain(
                "{event}: {total} registrations; confirmed: {confirmed}; withdrawn: {withdrawn}; "
                "plans published: {plans}",
                event=name,
                total=demo.scalar(
                    "select count(*) from registrations where event_id = ?", event_id
                ),
                confirmed=demo.scalar(
                    "select count(*) from registrations where event_id = ? "
                    "and status = 'confirmed'",
                    event_id,
                ),
                withdrawn=demo.scalar(
                    "select count(*) from registrations where event_id = ? "
                    "and status = 'withdrawn'",
                    event_id,
                ),
                plans=demo.scalar(
                    "select count(*) from plans where event_id = ? and published_at is not null",
                    event_id,
                ),
            )
        )
    t.say(
        _.plain(
            "Outbox: {sent} messages sent (convocations, calendar files, portrait cards, "
            "reminders)",
            sent=demo.scalar("select count(*) from outbox where status = 'sent'"),
        )
    )
    t.say(_.plain("Messages sent by the bot in all: {count}", count=stats["sends_total"]))
    t.say(
        "\n📁 "
        + _.plain(
            "Plan pictures, portrait cards, QR codes, calendar files, the report's chart and "
            "its Excel file: {folder}",
            folder=demo.folder,
        )
    )


async def play_script(demo: Demo) -> None:
    """Both events, one after the other, then what the database holds."""
    sophie = demo.user(DEMO_STAFF_ID, "Sophie")
    event_id, *codes = await create_ose(demo, sophie)
    users = await sign_up_everyone(demo, event_id, (codes[0], codes[1]))
    await show_profile(demo, users[CANDIDATES[0].first_name])
    await plan_ose(demo, sophie)
    await convocations(demo, event_id, users)
    await play_booster(demo, sophie)
    await summary(demo)


def _fresh_demo_files(data_dir: Path) -> tuple[Path, Path]:
    """Delete the previous run's database and pictures: each demo starts from nothing."""
    data_dir.mkdir(parents=True, exist_ok=True)
    database = data_dir / DEMO_DATABASE
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    folder = data_dir / DEMO_FOLDER
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        if old.is_file():
            old.unlink()
    return database, folder


async def _empty(url: str) -> bool:
    """Whether a database given to the demo holds no people and no events (after its
    migrations): the demo never mixes its made-up people with real ones."""
    database = Database(url)
    try:
        await database.migrate()
        async with database.session() as session:
            people = await session.scalar(select(func.count()).select_from(Person))
            events = await session.scalar(select(func.count()).select_from(Event))
        return not people and not events
    finally:
        await database.dispose()


def quick_by_default() -> bool:
    return os.environ.get(QUICK_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")


async def run_demo(
    settings: Settings,
    *,
    serve: bool = False,
    quick: bool | None = None,
    after: Callable[[Demo], Awaitable[None]] | None = None,
) -> int:
    """Play the demo; `after` looks at the sandbox and the bot before they stop (tests)."""
    _ = Translator.for_language("fr")
    quick = quick_by_default() if quick is None else quick
    for noisy in ("telegram", "apscheduler", "httpx", "tornado", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    database, folder = _fresh_demo_files(settings.data_dir)
    url = settings.database_url or f"sqlite+aiosqlite:///{database.as_posix()}"
    if settings.database_url and not await _empty(url):
        print(
            _.plain(
                "The demo needs an empty database, and {url} (PASSERELLE_DATABASE_URL) already "
                "holds people or events. Give it a new database, or unset the variable to use "
                "the demo's own file.",
                url=masked_url(url),
            ),
            file=sys.stderr,
        )
        return 2
    staff_ids = [*settings.staff_ids, DEMO_STAFF_ID]
    started = time.monotonic()
    progress = Progress(
        [
            (_.plain(label), weight)
            for label, weight in OSE_PHASES + BOOSTER_PHASES + AFTERCARE_PHASES
        ]
    )
    transcript = Transcript(
        picture=_.plain("(picture)"),
        progress=progress,
        settle=QUICK_SETTLE_SECONDS if quick else SETTLE_SECONDS,
    )
    async with SandboxServer() as server:
        demo_settings = settings.model_copy(
            update={
                "api_url": server.url,
                "staff_ids": staff_ids,
                "database_url": url,
                # The bot's other files (e.g. the outbox journals) stay with the demo's, apart
                # from the real bot's: a demo convocation must never pass for a real one.
                "data_dir": folder,
                "outbox_rate_per_second": max(
                    settings.outbox_rate_per_second, DEMO_RATE_PER_SECOND
                ),
            }
        )
        transcript.write(_.plain("Offline demo: local Bot API on {url}", url=server.url))
        transcript.write(
            _.plain(
                "Demo database: {database} (deleted at each start; the bot's own database, "
                "{normal}, is not touched).",
                database=database,
                normal=masked_url(settings.resolved_database_url).rpartition(":///")[2]
                or masked_url(settings.resolved_database_url),
            )
            if not settings.database_url
            else _.plain(
                "Demo database: {url}, from PASSERELLE_DATABASE_URL (it was empty).",
                url=masked_url(url),
            )
        )
        transcript.write(
            _.plain(
                "Simulated users: Sophie (staff) and the people of two events. "
                "👤 = what a person does, 🤖 = what the bot answers."
            )
        )
        async with contextlib.AsyncExitStack() as stack:
            with warnings.catch_warnings():
                # PTB's advice on conversation settings is for developers, not for this reader.
                warnings.simplefilter("ignore", PTBUserWarning)
                application = await stack.enter_async_context(
                    running_bot(demo_settings, token=DEMO_TOKEN)
                )
            client = await stack.enter_async_context(SandboxClient(server.url, DEMO_TOKEN))
            demo = Demo(
                client=client,
                transcript=transcript,
                _=_,
                folder=folder,
                database=url,
                programmes=list(settings.programmes) or ["Autre"],
                application=application,
                quick=quick,
                progress=progress,
            )
            # The bot's own INFO lines ("Event 1 created…") would cut the transcript.
            bot_logger = logging.getLogger("bot")
            level = bot_logger.level
            bot_logger.setLevel(logging.WARNING)
            offset = clock.offset()
            try:
                await play_script(demo)
                if after is not None:
                    await after(demo)
            finally:
                bot_logger.setLevel(level)
                progress.finish()
                transcript.progress = None
                if not serve:
                    clock.set_offset(offset)
            transcript.write(
                "\n"
                + _.plain("Demo finished in {seconds:.0f} s.", seconds=time.monotonic() - started)
                + " "
                + _.plain("Set PASSERELLE_TOKEN to run on Telegram.")
            )
            if serve:
                transcript.write(
                    _.plain("The bot keeps running on {url}. Ctrl+C to stop.", url=server.url)
                )
                transcript.write(serve_help(demo, server.url))
                await _wait_for_signal()
                clock.set_offset(offset)
    sys.stdout.flush()
    return 0


def serve_help(demo: Demo, url: str) -> str:
    """How to talk to the running bot as a candidate, an employer and staff, with curl."""
    _ = demo._
    # The demo's events are over by now: staff create one (/evenement), then people write
    # /start, which offers the open events.

    def say(user_id: int, name: str, text: str) -> str:
        body = json.dumps(
            {"user": {"id": user_id, "first_name": name}, "kind": "message", "text": text},
            ensure_ascii=False,
        )
        return f"  curl -s -X POST '{url}/sandbox/updates?token={DEMO_TOKEN}' -d '{body}'"

    press = json.dumps(
        {"user": {"id": 9001, "first_name": "Léa"}, "kind": "callback_query", "data": "…"},
        ensure_ascii=False,
    )
    return "\n".join(
        [
            "",
            _.plain("To act as a candidate (Léa, a new person):"),
            say(9001, "Léa", "/start"),
            _.plain("Read what the bot answered her (messages and their buttons' data):"),
            f"  curl -s '{url}/sandbox/chats/9001/messages?token={DEMO_TOKEN}'",
            _.plain("Press a button: put its data in this call:"),
            f"  curl -s -X POST '{url}/sandbox/updates?token={DEMO_TOKEN}' -d '{press}'",
            _.plain("To act as an employer (Paul):"),
            say(9002, "Paul", "/start"),
            _.plain("To act as staff (Sophie), starting with a new event:"),
            say(DEMO_STAFF_ID, "Sophie", "/evenement"),
        ]
    )


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
