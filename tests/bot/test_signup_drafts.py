"""Typed sign-up drafts: a sign-up begun before the upgrade carries on after it, and a draft
missing an answer asks for it again instead of failing at the end."""

from __future__ import annotations

import json
from typing import Any

from bot.config import Settings
from bot.db.models import PersistedState
from bot.db.session import Database
from bot.sandbox.client import SandboxClient, User
from tests.conftest import BotRunner, Sql
from tests.helpers.signup import (
    ALL,
    CONFIRM,
    CONSTRAINTS_Q,
    NAME_Q,
    NOTHING_TO_REPORT,
    PHOTO_Q,
    PROGRAMME_Q,
    QUALITIES_Q,
    SIGNED_UP,
    SKILLS_Q,
    SKIP,
    SUMMARY,
    answers_texts,
    asked,
    edit,
    make_event,
    tap,
)
from tests.helpers.texts import says, t

OLDER_QUESTION = "This button belongs to an older question. Please use the latest message."
CONSENTED = "2026-03-02T09:15:00+00:00"


def old_draft(
    event_id: int, step: str, answers: dict[str, Any], asked: list[str]
) -> dict[str, Any]:
    """A draft as the release before typed drafts stored it: a plain dict, no `version`."""
    return {
        "nonce": "beef",
        "role": "candidate",
        "mode": "signup",
        "event_id": event_id,
        "event_name": "Ose ton projet",
        "answers": answers,
        "step": step,
        "editing": False,
        "recorded_by": None,
        "consent_at": CONSENTED,
        "asked": asked,
    }


async def store_old_signup(settings: Settings, user: User, draft: dict[str, Any]) -> None:
    """The rows the previous release left: the draft, and the bare state of the conversation."""
    database = Database(settings.resolved_database_url)
    try:
        async with database.session() as session:
            session.add(
                PersistedState(namespace="user_data", key=str(user.id), data={"signup": draft})
            )
            session.add(
                PersistedState(
                    namespace="conversation:signup",
                    key=json.dumps([user.chat_id, user.id]),
                    data=draft["step"],
                )
            )
    finally:
        await database.dispose()


async def test_a_signup_saved_before_the_upgrade_resumes_and_completes(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings)
    olga = client.user(4001, first_name="Olga")
    answers = {"first_name": "Olga", "last_name": None, "age_band": "36-45", "sectors": ["J"]}
    draft = old_draft(codes.event_id, "job", answers, ["name", "age", "sec", "job"])
    await store_old_signup(settings, olga, draft)

    await olga.send("Vendeuse")  # the answer to the question asked before the upgrade
    await asked(olga, SKILLS_Q)
    await olga.press_data("su:beef:age:0")  # a button of an earlier question
    await tap(olga, "Accueil du public")
    await tap(olga, ALL)
    await asked(olga, QUALITIES_Q)
    await tap(olga, "Patient·e")
    await tap(olga, ALL)
    await asked(olga, PROGRAMME_Q)
    await tap(olga, "COI")
    await asked(olga, CONSTRAINTS_Q)
    await tap(olga, NOTHING_TO_REPORT)
    await asked(olga, PHOTO_Q)
    await tap(olga, SKIP)
    summary = await asked(olga, SUMMARY)
    assert "36-45" in summary.text and "Vendeuse" in summary.text
    assert edit("Age") in summary.button_labels  # answered before the upgrade, still editable
    assert t(OLDER_QUESTION) in await answers_texts(olga)
    await tap(olga, CONFIRM)
    await asked(olga, SIGNED_UP, name="Olga", event="Ose ton projet")

    person = sql("select id, consent_at from people where telegram_id = 4001")[0]
    assert person[1].startswith("2026-03-02 09:15:00")  # the consent given before the upgrade
    profile = sql(
        "select age_band, sectors, target_job, strengths from candidate_profiles"
        " where person_id = ?",
        person[0],
    )[0]
    assert profile[0] == "36-45" and json.loads(profile[1]) == ["J"]
    assert profile[2] == "Vendeuse" and json.loads(profile[3]) == ["Accueil du public"]
    assert sql("select status from registrations where person_id = ?", person[0]) == [
        ("registered",)
    ]
    assert sql("select count(*) from persisted_state where key like '%4001%'") == [(0,)]


async def test_a_draft_missing_an_answer_asks_for_it_instead_of_failing(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings)
    paz = client.user(4002, first_name="Paz")
    answers = {
        "age_band": "18-25",
        "sectors": ["N"],
        "target_job": "Chauffeur",
        "strengths": ["Conduite (permis B)"],
        "qualities": ["Calme"],
        "programme": "RSA",
        "constraints": None,
        "photo_file_id": None,
    }  # no first name: the previous release failed on "C'est bon" with a TypeError
    asked_steps = ["age", "sec", "job", "str", "qual", "prg", "cons", "photo"]
    await store_old_signup(settings, paz, old_draft(codes.event_id, "sum", answers, asked_steps))

    await paz.press_data("su:beef:sum:ok")  # "C'est bon" on the summary shown before
    await asked(paz, NAME_Q)
    assert sql.scalar("select count(*) from registrations") == 0
    await paz.send("Paz, Ortega")
    summary = await paz.wait_for(lambda m: says(SUMMARY)(m) and "Paz Ortega" in m.text)
    assert "Chauffeur" in summary.text
    await tap(paz, CONFIRM)
    await asked(paz, SIGNED_UP, name="Paz")
    assert sql("select first_name, last_name from people where telegram_id = 4002") == [
        ("Paz", "Ortega")
    ]
    assert sql.scalar("select target_job from candidate_profiles") == "Chauffeur"
