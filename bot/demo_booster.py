"""The demo's second programme: an "Emploi Booster" job dating, played to the end.

50 candidates and 15 employers (five come by video) over 4 sites with 18 seats, rooms of
1 + 1, several rounds. Sophie creates it with /evenement, an employer signs up from the link
(shown), the others sign up in the background; Sophie plans and publishes, people confirm;
then the bot's clock (`bot.clock.shift`) jumps to each reminder, an employer withdraws the day
before and the re-plan goes out to the people it concerns only, the event takes place (Sophie
marks who is here) and `demo_aftercare` plays what comes after.
With `demo.quick`, a smaller crowd plays the same story (12 candidates, 5 employers).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.demo_aftercare import Cast, play_aftercare
from bot.demo_kit import (
    CHANGED_CONVOCATION,
    CONFIRMED,
    CONVOCATION,
    PLAN,
    PUBLISHED,
    REMINDER,
    WITHDRAW_Q,
    WITHDRAWAL_NOTICE,
    WITHDRAWN,
    Candidate,
    Demo,
    Employer,
    EventSpec,
    SiteSpec,
    begins,
    confirm_quietly,
    create_event,
    drained,
    event_start,
    has_button,
    move_clock_to,
    photos,
    save_qr_codes,
    says,
    sign_up_employer,
    sign_up_quietly,
    until,
    wait_for,
    week_day,
)
from bot.i18n import N_
from bot.sandbox.client import BotMessage, User
from bot.services.attendance import mark_attended
from bot.services.convocations import french_hour

BOOSTER_NAME = "Emploi Booster"
BOOSTER_CANDIDATE_ID = 7100101
BOOSTER_EMPLOYER_ID = 7100201
ZONE = "Europe/Paris"
SITES = (
    SiteSpec("Maison de l'emploi, Lille", 6, address="12 rue de Paris, Lille"),
    SiteSpec("Espace emploi, Roubaix", 5, address="3 place de la Liberté, Roubaix"),
    SiteSpec("Cité des métiers, Tourcoing", 4, address="40 rue de Lille, Tourcoing"),
    SiteSpec("Forum emploi, Villeneuve-d'Ascq", 3, address="1 avenue du Pont, Villeneuve-d'Ascq"),
)
QUICK_SITES = (
    SiteSpec(SITES[0].name, 2, address=SITES[0].address),
    SiteSpec(SITES[1].name, 2, address=SITES[1].address),
    SiteSpec(SITES[2].name, 1, address=SITES[2].address),
    SiteSpec(SITES[3].name, 1, address=SITES[3].address),
)
ROUNDS, QUICK_ROUNDS = 4, 3

# (first name, last name, company, job title, sector label, sector code, jobs, remote)
EMPLOYER_ROWS = (
    (
        "Julien",
        "Lefebvre",
        "Décathlon Logistique",
        "Recruteur",
        "Transport et logistique",
        "N",
        "Préparateur·rice de commandes, cariste",
        True,
    ),
    (
        "Sandrine",
        "Duhamel",
        "Hôpital Saint-Vincent",
        "Cadre de santé",
        "Santé",
        "J",
        "Aide-soignant·e, agent·e de service",
        False,
    ),
    (
        "Mehdi",
        "Bouzid",
        "Auchan Villeneuve",
        "Responsable de rayon",
        "Commerce et vente",
        "D",
        "Employé·e libre-service, caissier·ère",
        False,
    ),
    (
        "Camille",
        "Vasseur",
        "Crédit du Nord",
        "Chargée de recrutement",
        "Banque, assurance, immobilier",
        "C",
        "Conseiller·ère clientèle",
        True,
    ),
    (
        "Thomas",
        "Delattre",
        "Eiffage Nord",
        "Conducteur de travaux",
        "Bâtiment et travaux publics",
        "F",
        "Maçon·ne, coffreur·se",
        False,
    ),
    (
        "Nadia",
        "Haddad",
        "Les Compagnons du Goût",
        "Cheffe de cuisine",
        "Hôtellerie, restauration, tourisme",
        "G",
        "Commis de cuisine, plongeur·se",
        False,
    ),
    (
        "Pierre",
        "Lemaire",
        "Kiabi",
        "Responsable RH",
        "Commerce et vente",
        "D",
        "Vendeur·se, conseiller·ère de vente",
        True,
    ),
    (
        "Céline",
        "Carpentier",
        "ADMR Lille",
        "Coordinatrice",
        "Services à la personne",
        "K",
        "Aide à domicile, auxiliaire de vie",
        False,
    ),
    (
        "Antoine",
        "Wattez",
        "Transpole",
        "Chargé de recrutement",
        "Transport et logistique",
        "N",
        "Conducteur·rice de bus",
        False,
    ),
    (
        "Laura",
        "Bernard",
        "Atos Lille",
        "Talent manager",
        "Support à l'entreprise (gestion, RH, informatique)",
        "M",
        "Technicien·ne support, assistant·e",
        True,
    ),
    (
        "Karima",
        "Benhamou",
        "Clinique du Parc",
        "Directrice des soins",
        "Santé",
        "J",
        "Infirmier·ère, brancardier·ère",
        False,
    ),
    (
        "Bruno",
        "Dufour",
        "Garage Renault Roubaix",
        "Chef d'atelier",
        "Installation et maintenance",
        "I",
        "Mécanicien·ne, carrossier·ère",
        False,
    ),
    (
        "Élodie",
        "Petit",
        "Hôtel Carlton",
        "Gouvernante générale",
        "Hôtellerie, restauration, tourisme",
        "G",
        "Femme / valet de chambre",
        False,
    ),
    (
        "Yann",
        "Morel",
        "Dalkia",
        "Responsable technique",
        "Installation et maintenance",
        "I",
        "Technicien·ne de maintenance",
        True,
    ),
    (
        "Inès",
        "Leroy",
        "Espaces Verts du Nord",
        "Gérante",
        "Agriculture et espaces verts",
        "A",
        "Jardinier·ère paysagiste",
        False,
    ),
)
QUICK_EMPLOYERS = (0, 1, 2, 3, 4)  # two of them by video
CANDIDATE_NAMES = (
    "Sofia Martin",
    "Rayan Dubois",
    "Jade Leroy",
    "Adam Moreau",
    "Lina Simon",
    "Nathan Laurent",
    "Chloé Michel",
    "Hugo Garcia",
    "Léna David",
    "Lucas Bertrand",
    "Manon Roux",
    "Yanis Vincent",
    "Zoé Fournier",
    "Mohamed Girard",
    "Inaya Bonnet",
    "Enzo Dupont",
    "Maëlys Lambert",
    "Noah Fontaine",
    "Ambre Rousseau",
    "Ilyès Blanc",
    "Lou Guerin",
    "Théo Muller",
    "Aya Henry",
    "Louis Roussel",
    "Nour Nicolas",
    "Gabriel Perrin",
    "Emma Morin",
    "Sami Mathieu",
    "Alice Clement",
    "Moussa Gauthier",
    "Rose Dumont",
    "Bilal Lopez",
    "Anna Fontaine",
    "Ethan Chevalier",
    "Yasmine Robin",
    "Tom Masson",
    "Leïla Sanchez",
    "Malik Marchand",
    "Clara Duval",
    "Axel Denis",
    "Salomé Lemoine",
    "Kylian Caron",
    "Eva Giraud",
    "Idriss Brun",
    "Mila Gaillard",
    "Jules Barbier",
    "Sarah Arnaud",
    "Amine Martinez",
    "Julia Roger",
    "Victor Colin",
)
AGES = ("18-25", "26-35", "36-45", "46-55", "56+")
SKILLS = ("Accueil du public", "Vente et conseil", "Cuisine", "Ménage et entretien", "Bricolage")
QUALITIES = ("Ponctuel·le", "Souriant·e", "Patient·e", "À l'écoute", "Fiable")

BOOSTER_PHASES = (
    (N_("Emploi Booster: the event is created"), 1.5),
    (N_("Emploi Booster: sign-ups"), 4.0),
    (N_("Emploi Booster: plan, convocations, confirmations"), 7.0),
    (N_("Emploi Booster: reminders, a withdrawal, the re-plan"), 13.0),
    (N_("Emploi Booster: the day of the event"), 1.0),
)
REPLAN = N_("Re-plan with few changes")
PRESENCES_Q = N_("For which event?")
WHO_IS_HERE = N_("Who is here today? Press present or absent for each person.")


def employers(quick: bool) -> tuple[Employer, ...]:
    rows = [EMPLOYER_ROWS[i] for i in QUICK_EMPLOYERS] if quick else list(EMPLOYER_ROWS)
    sites = QUICK_SITES if quick else SITES
    found = []
    for number, (first, last, company, title, sector, code, jobs, remote) in enumerate(rows):
        home = () if remote else (sites[number % len(sites)].name,)
        found.append(
            Employer(
                BOOSTER_EMPLOYER_ID + number,
                first,
                last,
                company,
                title,
                sector,
                code,
                jobs,
                home,
                remote,
                capacity=ROUNDS if not quick else QUICK_ROUNDS,
            )
        )
    return tuple(found)


def candidates(quick: bool) -> tuple[Candidate, ...]:
    """Candidates whose sectors follow the employers', spread over the sites."""
    names = CANDIDATE_NAMES[:12] if quick else CANDIDATE_NAMES
    sites = QUICK_SITES if quick else SITES
    offers = employers(quick)
    found = []
    for number, full_name in enumerate(names):
        first, last = full_name.split(" ", 1)
        employer = offers[number % len(offers)]
        found.append(
            Candidate(
                BOOSTER_CANDIDATE_ID + number,
                first,
                last,
                AGES[number % len(AGES)],
                employer.sector,
                employer.sector_code,
                employer.jobs.split(",")[0],
                SKILLS[number % len(SKILLS)],
                QUALITIES[number % len(QUALITIES)],
                sites[number % len(sites)].name,
            )
        )
    return tuple(found)


def booster_spec(quick: bool) -> EventSpec:
    sites = QUICK_SITES if quick else SITES
    return EventSpec(
        name=BOOSTER_NAME,
        day=week_day(21, 1),  # the same Tuesday as the morning's "Ose ton projet"
        start="14h00",
        duration="2h",
        zone=ZONE,
        sites=sites,
        format_label=N_("Job dating 1+1"),
        rounds=QUICK_ROUNDS if quick else ROUNDS,
        round_minutes="30 min" if not quick else "40 min",
        max_candidates=len(candidates(quick)),
        max_employers=len(employers(quick)),
    )


def convocation_count(demo: Demo, plan_id: int) -> int:
    return int(
        str(
            demo.scalar(
                "select count(*) from outbox where idempotency_key like ? and kind = 'convocation'",
                f"convocation:{plan_id}:%",
            )
        )
    )


def convocation_chats(demo: Demo, plan_id: int) -> list[int]:
    rows = demo.sql(
        "select chat_id from outbox where idempotency_key like ? and kind = 'convocation'",
        f"convocation:{plan_id}:%",
    )
    return [int(str(row[0])) for row in rows]


def seated_people(demo: Demo, event_id: int) -> set[int]:
    """Ids of the people with a seat in the event's latest published plan."""
    found = demo.scalar(
        "select plan from plans where event_id = ? and published_at is not null "
        "order by version desc limit 1",
        event_id,
    )
    plan = json.loads(str(found)) if found else {"rounds": []}
    return {
        int(key[1:])
        for round_plan in plan["rounds"]
        for room in round_plan["rooms"]
        for key in (*room["employers"], *room["candidates"])
    }


def published_plans(demo: Demo, event_id: int) -> list[int]:
    rows = demo.sql(
        "select id from plans where event_id = ? and published_at is not null order by version",
        event_id,
    )
    return [int(str(row[0])) for row in rows]


def changed_people(demo: Demo, plan_id: int, kind: str) -> list[tuple[int, str]]:
    """Who got a message of `kind` with the publication of `plan_id`: chat and first name."""
    rows = demo.sql(
        "select o.chat_id, p.first_name from outbox o join people p on p.id = o.person_id "
        "where o.idempotency_key like ? and o.kind = ? order by p.first_name",
        f"convocation:{plan_id}:%",
        kind,
    )
    return [(int(str(chat)), str(name)) for chat, name in rows]


def _candidates_of(users: dict[int, User]) -> list[Candidate]:
    return [p for p in candidates(False) if p.telegram_id in users]


async def reminders_out(demo: Demo, minutes: int, *, wait: bool) -> int:
    """The reminders `minutes` before the events, due now (all sent first, with `wait`; the
    outbox sends them meanwhile otherwise)."""
    query = (
        "select count(*), coalesce(sum(status = 'sent'), 0) from outbox "
        "where kind = 'reminder' and idempotency_key like ? "
        "and status in ('pending', 'sending', 'sent')"
    )
    key = f"reminder:%:{minutes}:%"

    def counts() -> tuple[int, int]:
        total, sent = demo.sql(query, key)[0]
        return int(str(total)), int(str(sent))

    if wait:
        await until(lambda: counts()[0] == counts()[1], timeout=60)
    return counts()[0]


# ------------------------------------------------------------------------- the script


async def play_booster(demo: Demo, sophie: User) -> None:
    """The whole job dating, from /evenement to the end of the afternoon."""
    _, t = demo._, demo.transcript
    quick = demo.quick
    offers, seekers = employers(quick), candidates(quick)
    spec = booster_spec(quick)

    demo.phase(_.plain(BOOSTER_PHASES[0][0]))
    t.section(
        _.plain(
            "6. Emploi Booster: Sophie creates a job dating over {sites} sites with /evenement "
            "(answers not shown)",
            sites=len(spec.sites),
        )
    )
    t.quiet = True
    try:
        event_id, _candidate_code, employer_code = await create_event(demo, sophie, spec)
    finally:
        t.quiet = False
    await save_qr_codes(demo, sophie, "booster-")

    # --------------------------------------------------------------- sign-ups
    demo.phase(_.plain(BOOSTER_PHASES[1][0]))
    julien = offers[0]
    t.section(
        _.plain(
            "7. An employer signs up from the employers' link: {name} ({company}), "
            "who will take part by video",
            name=julien.first_name,
            company=julien.company,
        )
    )
    julien_user = demo.user(julien)
    await sign_up_employer(demo, julien_user, employer_code, julien, None)
    started = time.monotonic()
    await sign_up_quietly(demo, event_id, [*seekers, *offers[1:]])
    remote = [p for p in offers if p.remote]
    t.say(
        "\n⏩ "
        + _.plain(
            "{candidates} candidates and {employers} more employers signed up from the links "
            "in the background ({seconds:.0f} s, not shown). By video: {remote}.",
            candidates=len(seekers),
            employers=len(offers) - 1,
            seconds=time.monotonic() - started,
            remote=", ".join(f"{p.first_name} – {p.company}" for p in remote),
        )
    )

    # --------------------------------------------------------------- plan, convocations
    demo.phase(_.plain(BOOSTER_PHASES[2][0]))
    t.section(_.plain("8. Sophie plans the rooms of the job dating and publishes"))
    await plan_booster(demo, sophie)
    everyone: list[Candidate | Employer] = [*seekers, *offers]
    users = {p.telegram_id: demo.user(p) for p in everyone}
    first_plan = published_plans(demo, event_id)[0]
    t.section(_.plain("9. Convocations and confirmations"))
    convoked = set(convocation_chats(demo, first_plan))
    is_convocation = says(_, CONVOCATION, event=BOOSTER_NAME)
    convocation = await wait_for(julien_user, is_convocation, timeout=45)
    # The candidate in Julien's first room, seen from her side.
    seeker = _first_candidate_met(convocation, seekers)
    seeker_user = users[seeker.telegram_id]
    demo.shown.update(employer=julien.first_name, candidate=seeker.first_name)
    # Almost everyone confirms (in the background, as convocations arrive); two forget.
    others = [u for u in users.values() if u.id in convoked and u not in (julien_user, seeker_user)]
    silent = others[-2:]
    confirming = asyncio.create_task(confirm_quietly(demo, others[:-2], event_id))
    t.say(
        _.plain("📬 {name} receives his convocation (one line per round):", name=julien.first_name)
    )
    t.show(convocation)
    cards = await photos(julien_user, 1, timeout=30)
    if cards:
        path = demo.save(f"booster-fiche-vue-par-{julien.first_name.lower()}.png", cards[0].photo)
        t.say("   💾 " + _.plain("Portrait card saved: {path}", path=path))
    await t.press(
        julien_user, _.plain("I confirm I will come"), says(_, CONFIRMED, event=BOOSTER_NAME)
    )
    theirs = await wait_for(seeker_user, is_convocation, timeout=45)
    t.say(_.plain("\n📬 {name}, a candidate he will meet, receives:", name=seeker.first_name))
    t.show(theirs)
    await t.press(
        seeker_user, _.plain("I confirm I will come"), says(_, CONFIRMED, event=BOOSTER_NAME)
    )
    await confirming
    t.say(
        "\n⏩ "
        + _.plain(
            "{count} more people confirmed with one tap (not shown); {silent} have not "
            "answered yet.",
            count=len(others) - 2,
            silent=", ".join(u.first_name for u in silent),
        )
    )
    waiting = len(users) - len(convoked)
    if waiting:
        t.say("   " + _.plain("On the waiting list: {count}.", count=waiting))
    t.say(
        "   "
        + _.plain(
            "Publication 1: {count} convocations, one per person.",
            count=convocation_count(demo, first_plan),
        )
    )

    # --------------------------------------------------------------- the moved clock
    demo.phase(_.plain(BOOSTER_PHASES[3][0]))
    starts = event_start(demo, event_id)
    t.section(_.plain("10. The clock moves forward: one week before"))
    move_clock_to(demo, starts - timedelta(days=7, minutes=-1))
    is_reminder = says(_, REMINDER, event=BOOSTER_NAME)
    reminder = await wait_for(seeker_user, is_reminder, timeout=30)
    t.say(_.plain("⏰ {name} receives:", name=seeker.first_name))
    t.show(reminder)
    t.say(
        "   "
        + _.plain(
            "{count} reminders sent a week before (both events).",
            count=await reminders_out(demo, 7 * 24 * 60, wait=False),
        )
    )

    await withdrawal(demo, sophie, event_id, offers, users, starts)

    t.section(_.plain("12. The day before and two hours before: the reminders"))
    for minutes, label in (
        (24 * 60, N_("{count} reminders sent the day before.")),
        (2 * 60, N_("{count} reminders sent two hours before.")),
    ):
        move_clock_to(demo, starts - timedelta(minutes=minutes - 1))
        count = await reminders_out(demo, minutes, wait=minutes < 24 * 60)
        t.say("⏰ " + _.plain(label, count=count))

    # --------------------------------------------------------------- the day
    demo.phase(_.plain(BOOSTER_PHASES[4][0]))
    ends = starts + timedelta(
        minutes=int(str(demo.scalar("select duration_minutes from events where id = ?", event_id)))
    )
    move_clock_to(demo, starts + timedelta(minutes=10))
    await drained(demo)
    local = french_hour(_, ends, ZONE)
    t.section(_.plain("13. The job dating takes place; it ends at {hour}", hour=local))
    absent = silent[-1]
    await mark_presence(demo, sophie, event_id, seeker_user, absent)
    await play_aftercare(
        demo,
        sophie,
        Cast(
            event_id=event_id,
            event_name=BOOSTER_NAME,
            employer=julien_user,
            candidate=seeker_user,
            others=[u for u in users.values() if u is not absent and u is not julien_user],
            ends_minutes=int((ends - starts).total_seconds() // 60),
        ),
    )


async def mark_presence(demo: Demo, sophie: User, event_id: int, shown: User, absent: User) -> None:
    """Sophie marks who is here with /presences (one press shown, the others in the
    background); one person who never answered did not come."""
    _, t = demo._, demo.transcript
    choice = await t.act(
        sophie, "/presences", lambda: sophie.command("presences"), says(_, PRESENCES_Q)
    )
    assert choice is not None
    label = next(b for b in choice.button_labels if BOOSTER_NAME in b)
    await t.press(sophie, label, lambda m: has_button(_.plain("Mark who is present"))(m))
    await t.press(sophie, _.plain("Mark who is present"), says(_, WHO_IS_HERE))
    screen = await sophie.last()
    present = next(
        (b for b in screen.button_labels if shown.first_name in b and b != _.plain("absent")),
        None,
    )
    if present is not None:
        saved = demo.transcript.max_lines
        await t.press(sophie, present, lambda m: any(b.startswith("✅") for b in m.button_labels))
        demo.transcript.max_lines = saved
    seated = seated_people(demo, event_id)
    rows = [
        (registration_id, telegram_id)
        for registration_id, person_id, telegram_id in demo.sql(
            "select r.id, p.id, p.telegram_id from registrations r "
            "join people p on p.id = r.person_id where r.event_id = ? "
            "and r.status in ('registered', 'confirmed')",
            event_id,
        )
        if int(str(person_id)) in seated
    ]
    for registration_id, telegram_id in rows:
        if telegram_id != shown.id:
            await mark_attended(
                demo.bot_database, int(str(registration_id)), telegram_id != absent.id
            )
    t.say(
        "   "
        + _.plain(
            "The other {count} are marked the same way; {name} did not come.",
            count=len(rows) - 1,
            name=absent.first_name,
        )
    )


def _first_candidate_met(convocation: BotMessage, seekers: Sequence[Candidate]) -> Candidate:
    text = convocation.text
    positions = [
        (text.find(p.first_name), p)
        for p in seekers
        if re.search(rf"\b{re.escape(p.first_name)}\b", text)
    ]
    return min(positions, key=lambda pair: pair[0])[1] if positions else seekers[0]


async def plan_booster(demo: Demo, sophie: User) -> None:
    _, t = demo._, demo.transcript
    await t.act(sophie, "/plan", lambda: sophie.command("plan"), None)
    plan_q = begins(_, (PLAN,))
    labels = (
        await wait_for(sophie, lambda m: any(BOOSTER_NAME in b for b in m.button_labels))
    ).button_labels
    label = next(b for b in labels if BOOSTER_NAME in b)
    count = len(await photos(sophie, 0, 0))
    await t.press(sophie, label, lambda m: plan_q(m) and bool(m.buttons))
    pictures = (await photos(sophie, count + 1))[count:]
    if pictures:
        path = demo.save("booster-plan.png", pictures[-1].photo)
        t.say("   💾 " + _.plain("Plan picture saved: {path}", path=path))
    await t.press(sophie, _.plain("Publish"), begins(_, PUBLISHED))


async def withdrawal(
    demo: Demo,
    sophie: User,
    event_id: int,
    offers: Sequence[Employer],
    users: dict[int, User],
    starts: datetime,
) -> None:
    """An employer cannot come after all: the re-plan changes only the rooms concerned."""
    _, t = demo._, demo.transcript
    leaving = offers[1]
    user = users[leaving.telegram_id]
    move_clock_to(demo, starts - timedelta(days=1, hours=5))
    t.section(
        _.plain(
            "11. The day before, 9 a.m.: {name} ({company}) cannot come",
            name=leaving.first_name,
            company=leaving.company,
        )
    )
    await t.press(user, _.plain("I cannot come"), says(_, WITHDRAW_Q, event=BOOSTER_NAME))
    await t.press(user, _.plain("Yes, I withdraw"), says(_, WITHDRAWN, event=BOOSTER_NAME))
    notice = await wait_for(sophie, says(_, WITHDRAWAL_NOTICE, event=BOOSTER_NAME), timeout=30)
    t.say(_.plain("\n📬 Sophie is told at once:"))
    t.show(notice)
    is_plan, publish = begins(_, (PLAN,)), has_button(_.plain("Publish"))
    await t.press(sophie, _.plain(REPLAN), lambda m: is_plan(m) and publish(m))
    await t.press(sophie, _.plain("Publish"), begins(_, PUBLISHED))
    second = published_plans(demo, event_id)[-1]
    changed, waiting = (
        changed_people(demo, second, "convocation"),
        changed_people(demo, second, "waiting_list"),
    )
    shown = next(
        (row for row in changed if row[0] in {p.telegram_id for p in _candidates_of(users)}),
        changed[0] if changed else None,
    )
    if shown is not None:
        chat_id, first_name = shown
        await until(
            lambda: (
                demo.scalar(
                    "select status from outbox where idempotency_key like ? and chat_id = ? "
                    "and kind = 'convocation'",
                    f"convocation:{second}:%",
                    chat_id,
                )
                == "sent"
            ),
            timeout=30,
        )
        is_changed = says(_, CHANGED_CONVOCATION, event=BOOSTER_NAME)
        is_new = says(_, CONVOCATION, event=BOOSTER_NAME)
        message = await wait_for(users[chat_id], lambda m: is_changed(m) or is_new(m))
        t.say(_.plain("\n📬 {name} receives:", name=first_name))
        t.show(message)
    t.say(
        "\n   "
        + _.plain(
            "Publication 2: {count} new convocations ({names}); the {others} other people "
            "keep theirs and get nothing.",
            count=len(changed),
            names=", ".join(name for _chat, name in changed),
            others=len(users) - 1 - len(changed) - len(waiting),
        )
    )
    if waiting:
        t.say(
            "   "
            + _.plain(
                "Told they are now on the waiting list: {names}.",
                names=", ".join(name for _chat, name in waiting),
            )
        )
