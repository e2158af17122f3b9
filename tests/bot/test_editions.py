"""The next edition of an event, end to end: staff create it, employers come back, and the
second edition's plan keeps apart the pairs who met at the first one.

The first edition is seeded, planned and published through `/plan` while it is still ahead;
then the clock moves past it, as when staff prepare the next one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import clock
from bot.callbacks import EditionBack, EditionNext, PlanEvent
from bot.context import services
from bot.db.models.aftercare import EmployerFeedback, Questionnaire
from bot.db.models.events import (
    EligibilityQuestion,
    Event,
    Registration,
    RegistrationStatus,
    Site,
)
from bot.db.models.people import Role
from bot.db.session import Database
from bot.sandbox.client import SandboxClient, User
from bot.services.aftercare.editions import create_next_edition
from matching import Instance, solve
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.conversation import press, say, step
from tests.helpers.plan import STARTS_AT, Scenario, is_plan, open_plan, publish, seed_event
from tests.helpers.texts import contains, says, says_n, t
from tests.helpers.waiting import eventually

NEXT = "Next edition of “{name}”: type its date and time, for example {example}."
SUMMARY = "<b>Next edition of “{name}”</b>"
CREATED = "✅ The next edition is created."
INVITED = (
    "{count} employer is invited to come back.",
    "{count} employers are invited to come back.",
)
LEFT_OUT = (
    "{count} employer was not invited (“No follow-up” for everyone).",
    "{count} employers were not invited (“No follow-up” for everyone).",
)
INVITATION = (
    "Hello {name}! Thank you for coming to “{event}”. A new edition takes place on {when}. "
    "Will you come again, with the same sites?"
)
REGISTERED = (
    "Thank you! You are registered for “{name}” on {when}, with the same sites as last time."
)
NEW_DATE = "9 septembre 2027 14h"  # 12:00 UTC in Lausanne (summer time)
QUESTION = "Avez-vous un permis de travail ?"


@pytest.fixture(autouse=True)
def reset_clock() -> Iterator[None]:
    yield None
    clock.reset()


def database_of(runner: BotRunner) -> Database:
    assert runner.application is not None
    return services(runner.application).database


def after_the_event() -> None:
    clock.set_offset(STARTS_AT + timedelta(days=2) - (clock.now() - clock.offset()))


async def first_edition(runner: BotRunner, client: SandboxClient) -> Scenario:
    """The seeded event, with a question and what to bring, planned and published."""
    scenario = await seed_event(runner, client, waiting=False)
    async with database_of(runner).session() as session:
        event = await session.get(Event, scenario.event_id)
        assert event is not None
        event.what_to_bring = "Votre CV"
        event.feedback_delay_minutes = 45
        session.add(EligibilityQuestion(event_id=event.id, text=QUESTION, position=0))
    await open_plan(scenario)
    await publish(scenario)
    return scenario


def pairs_of(sql: Sql, event_id: int) -> set[tuple[str, str]]:
    """Candidate–employer pairs of the event's latest plan."""
    plan = json.loads(
        sql.scalar("select plan from plans where event_id = ? order by id desc limit 1", event_id)
    )
    return {
        (c, e)
        for rp in plan["rounds"]
        for room in rp["rooms"]
        for c in room["candidates"]
        for e in room["employers"]
    }


async def came_and_feedback(runner: BotRunner, scenario: Scenario) -> None:
    """Marie attended, Luc confirmed, Nora attended but said "Pas de suite" for everyone,
    Paul never confirmed (so he is not asked back)."""
    async with database_of(runner).session() as session:
        regs = {
            first: await session.get(Registration, scenario.registrations[first])
            for first in ("Marie", "Luc", "Nora")
        }
        assert all(regs.values())
        regs["Marie"].attended = True  # type: ignore[union-attr]
        regs["Luc"].status = RegistrationStatus.CONFIRMED  # type: ignore[union-attr]
        regs["Nora"].attended = True  # type: ignore[union-attr]
        for first in ("Alice", "Bruno"):
            questionnaire = Questionnaire(
                key=f"test:emp:{first}",
                kind="emp",
                event_id=scenario.event_id,
                person_id=scenario.person_ids["Nora"],
                about_id=scenario.person_ids[first],
                status="answered",
            )
            session.add(questionnaire)
            await session.flush()
            session.add(
                EmployerFeedback(
                    questionnaire_id=questionnaire.id,
                    event_id=scenario.event_id,
                    employer_id=scenario.person_ids["Nora"],
                    candidate_id=scenario.person_ids[first],
                    next_step="none",
                )
            )


async def test_staff_create_the_next_edition_and_employers_come_back(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await first_edition(bot_runner, client)
    await came_and_feedback(bot_runner, scenario)
    after_the_event()
    staff = scenario.staff
    old_id = scenario.event_id

    # Someone who is not staff forges the button: refused, nothing created.
    alice = scenario.candidates["Alice"]
    await alice.press_data(EditionNext(old_id).pack())
    await bot_runner.handled(client)
    answers = [a.get("text") or "" for a in await alice.callback_answers()]
    assert t("This is for the organising team only.") in answers
    assert not [m for m in await alice.received() if says(NEXT, name="Ose ton projet")(m)]
    assert sql.scalar("select count(*) from events") == 1

    # Staff: the event's details, "Next edition", the date, the summary, confirm.
    listing = await step(
        staff, lambda: staff.command("evenements"), "Your events. Press one to see it."
    )
    await press(
        staff,
        listing.button_labels[0],
        "Signed up: {candidates} candidates, {employers} employers.",
    )
    await press(staff, t("Next edition"), NEXT, name="Ose ton projet")
    await say(staff, "hier", "I cannot read this date. Please write it like this: {example}.")
    await say(staff, "1er mars 2027 14h", "The start date is already past.")
    summary = await say(staff, NEW_DATE, SUMMARY, name="Ose ton projet")
    assert contains(summary.text, "When: {when}", when=re.compile("jeudi 9 septembre 2027 à 14"))
    assert says_n(
        "{count} employer who came last time will be invited.",
        "{count} employers who came last time will be invited.",
        2,
    )(summary)
    assert says_n(
        "{count} employer answered “No follow-up” for everyone: not invited.",
        "{count} employers answered “No follow-up” for everyone: not invited.",
        1,
    )(summary)
    assert sql.scalar("select count(*) from events") == 1  # nothing before "Create it"
    done = await press(staff, "✅ " + t("Create it"), CREATED)
    assert says_n(*INVITED, 2)(done) and says_n(*LEFT_OUT, 1)(done)
    await staff.wait_for(says("Invitation links for “{name}”:", name="Ose ton projet"))

    # The copy: same set-up, new date, fresh codes, linked to the first edition.
    new_id = sql.scalar("select max(id) from events")
    assert new_id != old_id
    row = sql(
        "select previous_id, name, employers_per_room, candidates_per_room, rounds, "
        "round_minutes, timezone, what_to_bring, feedback_delay_minutes, candidate_code, "
        "employer_code, starts_at from events where id = ?",
        new_id,
    )[0]
    assert row[:9] == (old_id, "Ose ton projet", 2, 2, 1, 90, "Europe/Zurich", "Votre CV", 45)
    assert row[9] != "CTEST1" and row[10] != "ETEST1"
    assert row[11].startswith("2027-09-09 12:00")
    assert sql("select name, address, rooms from sites where event_id = ?", new_id) == [
        ("Espace Riponne", "Place de la Riponne 10, Lausanne", 2)
    ]
    assert sql("select text from eligibility_questions where event_id = ?", new_id) == [(QUESTION,)]

    # One invitation each for Marie and Luc; none for Nora ("Pas de suite") nor Paul.
    assert sql.scalar("select count(*) from outbox where kind = 'edition_invite'") == 2
    marie, luc = scenario.employers["Marie"], scenario.employers["Luc"]
    invitation = await marie.wait_for(says(INVITATION, name="Marie"), 10)
    assert t("I am coming back") in invitation.button_labels
    assert t("Not this time") in invitation.button_labels
    await luc.wait_for(says(INVITATION, name="Luc"), 10)
    for first in ("Nora", "Paul"):
        assert not [m for m in await scenario.employers[first].received() if says(INVITATION)(m)]

    # Marie comes back: registered with the same site; a second press changes nothing.
    await press(marie, t("I am coming back"), REGISTERED, name="Ose ton projet")
    new_site = sql.scalar("select id from sites where event_id = ?", new_id)
    assert sql(
        "select role, status, accepted_site_ids from registrations "
        "where event_id = ? and person_id = ?",
        new_id,
        scenario.person_ids["Marie"],
    ) == [("employer", "registered", f"[{new_site}]")]
    await marie.press_data(EditionBack("yes", new_id).pack(), message_id=invitation.message_id)
    await bot_runner.handled(client)
    answers = [a.get("text") or "" for a in await marie.callback_answers()]
    assert t("You are already registered for this edition.") in answers
    assert sql.scalar("select count(*) from registrations where event_id = ?", new_id) == 1

    # Luc declines; Nora, never invited, forges a "Je reviens": refused, not registered.
    await press(luc, t("Not this time"), "Noted. Thank you, and see you another time!")
    nora = scenario.employers["Nora"]
    await nora.press_data(EditionBack("yes", new_id).pack())
    await bot_runner.handled(client)
    answers = [a.get("text") or "" for a in await nora.callback_answers()]
    assert t("This button is no longer valid.") in answers
    assert sql.scalar("select count(*) from registrations where event_id = ?", new_id) == 1


async def register_again(
    runner: BotRunner, scenario: Scenario, event_id: int, only: set[int] | None = None
) -> None:
    """The same employers and candidates (or `only` these person ids) sign up again."""
    async with database_of(runner).session() as session:
        site_id = await session.scalar(select(Site.id).where(Site.event_id == event_id))
        for first, person_id in scenario.person_ids.items():
            if only is not None and person_id not in only:
                continue
            role = Role.EMPLOYER if first in scenario.employers else Role.CANDIDATE
            session.add(
                Registration(
                    event_id=event_id,
                    person_id=person_id,
                    role=role,
                    site_id=site_id,
                    accepted_site_ids=[site_id],
                    status=RegistrationStatus.REGISTERED,
                )
            )


async def plan_event(user: User, event_id: int) -> None:
    await user.command("plan")
    listing = await user.wait_for(says("Which event do you want to plan?"))
    await user.press_data(PlanEvent("ev", event_id).pack(), message_id=listing.message_id)
    await user.wait_for(lambda m: is_plan(m, state=t("draft, nothing sent yet")), 20)


async def test_second_edition_plan_repeats_no_pair(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await first_edition(bot_runner, client)
    first_pairs = pairs_of(sql, scenario.event_id)
    assert len(first_pairs) == 8  # 2 rooms × 2 candidates × 2 employers
    after_the_event()
    database = database_of(bot_runner)
    new_id = await create_next_edition(
        database, scenario.event_id, STARTS_AT + timedelta(days=180), STAFF_ID
    )
    await register_again(bot_runner, scenario, new_id)

    await plan_event(scenario.staff, new_id)
    assert await eventually(
        lambda: sql.scalar("select count(*) from plans where event_id = ?", new_id) == 1
    )
    instance = json.loads(sql.scalar("select instance from plans where event_id = ?", new_id))
    assert {tuple(sorted(p)) for p in instance["met_before"]} == {
        tuple(sorted(p)) for p in first_pairs
    }
    second_pairs = pairs_of(sql, new_id)
    assert len(second_pairs) == 8  # everyone seated again, with two employers each
    assert not second_pairs & first_pairs  # nobody meets the same employer twice
    plan = json.loads(sql.scalar("select plan from plans where event_id = ?", new_id))
    assert "met_again" not in plan
    # The rule is what keeps them apart: the same instance without it repeats pairs.
    unaware = solve(Instance.from_dict({**instance, "met_before": []}))
    repeated = {
        (c, e)
        for rp in unaware.rounds
        for room in rp.rooms
        for c in room.candidates
        for e in room.employers
    }
    assert repeated & first_pairs


async def test_unavoidable_repeats_are_shown_to_staff(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    """Only the four people of one room of the first edition come back: repeats cannot be
    avoided, the plan has the fewest, and the plan staff read says so."""
    scenario = await first_edition(bot_runner, client)
    plan = json.loads(sql.scalar("select plan from plans where event_id = ?", scenario.event_id))
    room = plan["rounds"][0]["rooms"][0]
    keys = [*room["employers"], *room["candidates"]]
    after_the_event()
    database = database_of(bot_runner)
    new_id = await create_next_edition(
        database, scenario.event_id, STARTS_AT + timedelta(days=180), STAFF_ID
    )
    await register_again(bot_runner, scenario, new_id, only={int(k[1:]) for k in keys})
    await scenario.staff.command("plan")
    listing = await scenario.staff.wait_for(says("Which event do you want to plan?"))
    await scenario.staff.press_data(PlanEvent("ev", new_id).pack(), message_id=listing.message_id)
    shown = await scenario.staff.wait_for(
        lambda m: is_plan(m, state=t("draft, nothing sent yet")), 20
    )
    warning = (
        "⚠️ {count} pair already met at an earlier edition (no other plan seats everyone): {names}",
        "⚠️ {count} pairs already met at an earlier edition (no other plan seats everyone): {names}",
    )
    # Each candidate met both employers: the fewest repeats is one meeting each, in two
    # rooms of 1 + 1, rather than one room of 2 + 2 (four repeats).
    assert says_n(*warning, 2)(shown)
    stored = json.loads(sql.scalar("select plan from plans where event_id = ?", new_id))
    assert len(stored["met_again"]) == 2
    assert len(stored["rounds"][0]["rooms"]) == 2
