"""Data rights: the notice, a readable copy of one's data, and erasure that leaves no trace."""

from __future__ import annotations

from bot.config import Settings
from bot.sandbox.client import SandboxClient
from tests.conftest import BotRunner, Sql
from tests.helpers.signup import (
    AGREE,
    COMPANY_Q,
    CONFIRM,
    CONSENT,
    DONE,
    JOB_Q,
    JOBS_Q,
    NAME_Q,
    SIGNED_UP,
    TITLE_Q,
    asked,
    its_me,
    make_event,
    png,
    sign_up_candidate,
    tap,
)
from tests.helpers.texts import contains, t
from tests.helpers.traces import traces
from tests.helpers.waiting import eventually

IDLE_CLOSED = "You have not answered for a while, so I closed this sign-up. Nothing was stored."


async def test_privacy_notice(bot_runner: BotRunner, client: SandboxClient) -> None:
    user = client.user(4001, first_name="Nora")
    await user.command("confidentialite")
    notice = await asked(user, "<b>Your data at Passerelle</b>")
    assert "/mesdonnees" in notice.text and "/supprimer" in notice.text
    assert contains(notice.text, "• /mesdonnees sends you a copy of everything we store.")
    assert contains(notice.text, "• /supprimer erases everything, at any time.")


async def test_my_data_file_lists_everything_in_french(
    bot_runner: BotRunner, client: SandboxClient, settings: Settings
) -> None:
    codes = await make_event(settings, sites=("Lille Centre", "Roubaix"))
    omar = client.user(4002, first_name="Omar")
    await omar.command("mesdonnees")
    await asked(omar, "We store nothing about you.")
    await sign_up_candidate(omar, codes.candidate, photo=png(), site="Roubaix")
    await tap(omar, CONFIRM)
    await asked(omar, SIGNED_UP)
    await omar.command("mesdonnees")
    document = await omar.wait_for(
        lambda m: m.kind == "document" and m.filename is not None and m.filename.endswith(".txt")
    )
    assert document.document is not None
    text = document.document.decode("utf-8")
    for expected in (
        f"{t('First name')} : Omar",  # the file's lines are "label : value"
        f"{t('Age')} : 26-35",
        f"{t('Sectors')} : Santé",
        f"{t('Job you aim for')} : Aide-soignante",
        f"{t('Skills')} : Accueil du public",
        f"{t('Soft skills')} : Patient·e",
        f"{t('Support programme')} : COI",
        "Ose ton projet",
        t("Site: {value}", value="Roubaix"),
        t("Photo: {value}", value=t("yes")),
        t("Status: {value}", value=t("signed up")),
        t("Your sign-ups"),
    ):
        assert expected in text, expected
    # No English, no UTC: statuses and times as the person lives them.
    for english in ("registered", "UTC", "Your sign-ups"):
        assert english not in text, english
    photo = await omar.wait_for(lambda m: m.filename == "ma-photo.jpg")
    assert photo.document and photo.document[:2] == b"\xff\xd8"


async def test_erase_leaves_nothing_about_the_person(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings)
    paula = client.user(4003, first_name="Paulabelle")
    await sign_up_candidate(paula, codes.candidate, photo=png())
    await tap(paula, CONFIRM)
    await asked(paula, SIGNED_UP)
    person_id = sql.scalar("select id from people where telegram_id = 4003")
    # An employer who wished to meet her, and a message waiting in the outbox for her.
    employer = client.user(4004, first_name="Quentin")
    await employer.command("start", codes.employer)
    await tap(employer, AGREE)
    await asked(employer, NAME_Q)
    await tap(employer, its_me(employer))
    for question, answer in ((COMPANY_Q, "Hôpital Nord"), (TITLE_Q, "DRH")):
        await asked(employer, question)
        await employer.send(answer)
    await tap(employer, "Santé")
    await tap(employer, DONE)
    await asked(employer, JOBS_Q)
    await employer.send("Aide-soignant·e")
    await tap(employer, "Lille Centre")
    await tap(employer, DONE)
    await tap(employer, "2")
    await tap(employer, "Paulabelle")
    await tap(employer, DONE)
    await tap(employer, CONFIRM)
    await asked(employer, SIGNED_UP)
    assert sql.scalar("select wishes from registrations where role = 'employer'") == (
        f"[{person_id}]"
    )
    await sql.write(
        "insert into outbox (idempotency_key, chat_id, person_id, event_id, kind, payload,"
        " send_after, status, attempts, created_at) values"
        " ('convocation:1', 4003, ?, ?, 'convocation', '{}', '2030-01-01', 'pending', 0,"
        " '2030-01-01')",
        person_id,
        codes.event_id,
    )
    # She starts another sign-up and leaves a draft in the middle.
    other = await make_event(settings, name="Autre événement")
    await paula.command("start", other.candidate)
    await tap(paula, AGREE)
    await tap(paula, its_me(paula))
    await tap(paula, "18-25")
    await tap(paula, "Santé")
    await tap(paula, DONE)
    await asked(paula, JOB_Q)
    assert await eventually(lambda: bool(traces(sql, "Paulabelle")))

    await paula.command("supprimer")
    await asked(paula, "Do you really want to erase all your data?")
    await tap(paula, t("No, keep"))
    await asked(paula, "Nothing was erased.")
    assert sql.scalar("select count(*) from people where telegram_id = 4003") == 1
    await paula.command("supprimer")
    await tap(paula, t("Yes, erase everything"))
    await asked(paula, "Done: all your data has been erased.")
    assert await eventually(lambda: traces(sql, 4003, "Paulabelle", "4003") == []), sql(
        "select kind, status, payload, send_after from outbox where chat_id = 4003"
    )
    assert sql.scalar("select count(*) from registrations where person_id = ?", person_id) == 0
    assert sql.scalar("select count(*) from candidate_profiles where person_id = ?", person_id) == 0
    assert sql.scalar("select count(*) from outbox where person_id = ?", person_id) == 0
    assert sql.scalar("select wishes from registrations where role = 'employer'") == "[]"
    assert sql("select role, count from deletion_counts") == [("candidate", 1)]
    assert sql.scalar("select count(*) from people where telegram_id = 4004") == 1

    # Her old buttons and the draft are gone; the bot says so and stores nothing again.
    await paula.send("Infirmière")
    await asked(paula, "I did not understand this message.")  # no conversation left
    await paula.press_data("erase:yes")
    await asked(paula, "We stored nothing about you. Nothing to erase.")
    await bot_runner.handled(client)  # the answers' after-effects (saved states) are done
    # Replies pass through the outbox and are deleted once delivered.
    assert await eventually(lambda: traces(sql, 4003, "Paulabelle", "4003") == []), traces(
        sql, 4003, "Paulabelle", "4003"
    )
    assert sql("select role, count from deletion_counts") == [("candidate", 1)]


async def test_idle_signup_is_closed_politely_and_forgotten(
    client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    """An idle sign-up is closed politely (timeout shortened for the test)."""
    fast = settings.model_copy(update={"conversation_timeout_minutes": 1.5 / 60})
    runner = BotRunner(fast)
    await runner.start()
    try:
        codes = await make_event(fast)
        rita = client.user(4005, first_name="Rita")
        await rita.command("start", codes.candidate)
        await asked(rita, CONSENT)
        await tap(rita, AGREE)
        await asked(rita, NAME_Q)
        closed = await asked(rita, IDLE_CLOSED, timeout=6)
        assert contains(closed.text, IDLE_CLOSED)
        assert contains(
            closed.text, "You can start again at any time with your invitation link or /start."
        )
        assert await eventually(
            lambda: sql.scalar("select count(*) from persisted_state where key like '%4005%'") == 0
        )
        assert sql.scalar("select count(*) from people where telegram_id = 4005") == 0
    finally:
        await runner.stop()
