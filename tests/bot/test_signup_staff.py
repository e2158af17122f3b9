"""`/inscrire`: every step of a staff sign-up checks the staff role again."""

from __future__ import annotations

from bot.config import Settings
from bot.sandbox.client import SandboxClient
from tests.conftest import BotRunner, Sql
from tests.helpers.signup import STAFF_CONSENT, STAFF_NAME_Q, answers_texts, asked, make_event, tap
from tests.helpers.texts import says, t

REFUSED_BUTTON = "This is for the organising team only."
REFUSED_COMMAND = "This command is for the organising team only."


async def test_a_staff_member_demoted_midway_cannot_go_on(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    await make_event(settings, name="Cohorte ESS")
    rose = client.user(900050, first_name="Rose")  # staff by her role, not by configuration
    await rose.command("start")
    await asked(rose, "Hello {name}! Welcome to Passerelle.", name="Rose")
    await sql.write("update people set role = 'staff' where telegram_id = 900050")
    await rose.command("inscrire")
    await asked(rose, "Register someone: for which event?")
    await tap(rose, "Cohorte ESS")
    await asked(rose, "Is this person a candidate or an employer?")
    await bot_runner.handled(client)

    await sql.write("update people set role = 'candidate' where telegram_id = 900050")
    await tap(rose, t("Candidate"))  # the next step, pressed after the demotion
    await bot_runner.handled(client)
    assert t(REFUSED_BUTTON) in await answers_texts(rose)
    assert not any(says(STAFF_CONSENT)(m) for m in await rose.received())
    await rose.send("Nadia")  # nor can she type her way through
    await asked(rose, REFUSED_COMMAND)
    await bot_runner.handled(client)
    assert not any(says(STAFF_NAME_Q)(m) for m in await rose.received())
    step = sql.scalar(
        "select data from persisted_state where namespace = 'conversation:signup'"
        " and key = '[900050, 900050]'"
    )
    assert step is not None and '"srole"' in step  # nothing moved on
    assert sql.scalar("select count(*) from people where first_name = 'Nadia'") == 0
    assert sql.scalar("select count(*) from registrations") == 0

    # Her role given back, the same question carries on where it was.
    await sql.write("update people set role = 'staff' where telegram_id = 900050")
    await tap(rose, t("Candidate"))
    await asked(rose, STAFF_CONSENT)
