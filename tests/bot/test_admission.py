"""Who gets a seat: staff choose the event's rule and the team's order; the waiting list says
each person's place and the rule, end to end (real bot, local Bot API, real database).
"""

from __future__ import annotations

from bot.callbacks import AdmissionMove
from bot.sandbox.client import BotMessage, SandboxClient, User
from bot.services.admission import RULE_EXPLAINED, RULE_LABELS
from tests.conftest import BotRunner, Sql
from tests.helpers.conversation import press, step
from tests.helpers.plan import EVENT_NAME, Scenario, open_plan, publish, seed_event
from tests.helpers.texts import contains, says, t
from tests.helpers.waiting import eventually

WAITING_TEXT = (
    "<b>{event}</b>: all seats are taken for now. You are on the waiting list. "
    "We will write to you if a seat frees up."
)
PLACE = "Your place on the waiting list: {place}."
SAVED = "✅ Saved."
ORDER_TITLE = "<b>Order of the seats</b> (1 gets a seat first)"
RULE_QUESTION = (
    "When there are more candidates than seats, who gets a seat?\n"
    "• Order of registration: the first to sign up.\n"
    "• Team's choice: the order you set in /inscrits.\n"
    "• Best matches: the seats that make the best meetings overall.\n"
    "• Fewest chances elsewhere: those with the fewest other good matches."
)


async def five_for_four(runner: BotRunner, client: SandboxClient, sql: Sql) -> Scenario:
    """Four seats (2 rooms of 2 + 2), five registered candidates; Emma signed up last."""
    scenario = await seed_event(runner, client)
    await sql.write(
        "update registrations set status = 'registered' where id = ?",
        scenario.registrations["Emma"],
    )
    return scenario


async def waiting_message(user: User) -> BotMessage:
    return await user.wait_for(says(WAITING_TEXT, event=EVENT_NAME), 15)


async def test_default_rule_registration_order_and_place(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await five_for_four(bot_runner, client, sql)
    assert sql.scalar("select admission from events") == "registration"
    await open_plan(scenario)
    await publish(scenario)
    assert scenario.waiting is not None
    text = (await waiting_message(scenario.waiting)).text
    assert contains(text, PLACE, place=1)
    assert contains(text, RULE_EXPLAINED["registration"])


async def test_staff_choose_the_rule_and_the_order(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await five_for_four(bot_runner, client, sql)
    staff = scenario.staff

    # The event's details, "Edit", "Who gets a seat": four buttons, the current one ticked.
    listing = await step(
        staff, lambda: staff.command("evenements"), "Your events. Press one to see it."
    )
    label = next(label for label in listing.button_labels if EVENT_NAME in label)
    await staff.press(label)
    await staff.wait_for(lambda m: t("Edit") in m.button_labels)
    await press(staff, t("Edit"), "What do you want to change?")
    question = await press(staff, t("Who gets a seat"), RULE_QUESTION)
    assert question.button_labels == [
        "✅ " + t(RULE_LABELS["registration"]),
        t(RULE_LABELS["staff"]),
        t(RULE_LABELS["best_fit"]),
        t(RULE_LABELS["fewest_matches"]),
    ]
    await press(staff, t(RULE_LABELS["staff"]), "Set the order of the candidates in /inscrits.")
    assert sql.scalar("select admission from events") == "staff"
    assert [m for m in await staff.received() if says(SAVED)(m)]

    # `/inscrits`: the rule is shown; the order is set with ⬆ (Emma above David).
    await step(staff, lambda: staff.command("inscrits"), "Which event?")
    counts = await press(
        staff,
        next(lbl for lbl in (await staff.last()).button_labels if EVENT_NAME in lbl),
        "Who gets a seat: {rule}.",
        rule=t(RULE_LABELS["staff"]),
    )
    assert counts.button_labels == [t("Set the candidates' order")]
    order = await press(staff, t("Set the candidates' order"), ORDER_TITLE)
    names = ["Alice Zephyrine", "Bruno Quartzwell", "Chloé Vantablack", "David Oxbridge"]
    assert order.text.splitlines()[1:] == [
        f"{number}. {name}" for number, name in enumerate([*names, "Emma Lindqvist"], 1)
    ]
    await staff.press("⬆ Emma Lindqvist")
    emma, david = scenario.registrations["Emma"], scenario.registrations["David"]

    def priorities() -> bool:
        return sql(
            "select id, priority from registrations where id in (?, ?) order by id", emma, david
        ) == [
            (david, 5),
            (emma, 4),
        ]

    assert await eventually(priorities)
    redrawn = await staff.wait_for(  # the list message, redrawn in place
        lambda m: says(ORDER_TITLE)(m) and m.text.splitlines()[4] == "4. Emma Lindqvist"
    )
    assert redrawn.text.splitlines()[5] == "5. David Oxbridge"
    # At the top already: nothing moves, the press is answered.
    await staff.press("⬆ Alice Zephyrine")
    assert await eventually(
        lambda: sql.scalar("select priority from registrations where id = ?", emma) == 4
    )

    # A forged press (a candidate; a person no longer registered) changes nothing.
    alice = scenario.candidates["Alice"]
    await alice.press_data(AdmissionMove(scenario.event_id, emma, "up").pack())
    await staff.press_data(AdmissionMove(scenario.event_id, 999, "up").pack())
    await bot_runner.handled(client)
    refusals = [a.get("text") or "" for a in await alice.callback_answers()]
    assert contains(refusals[-1], "This is for the organising team only.")
    alert = [a.get("text") or "" for a in await staff.callback_answers()][-1]
    assert contains(alert, "This person is no longer registered.")
    assert sql.scalar("select priority from registrations where id = ?", emma) == 4

    # The plan follows the team's order: David waits, told his place and the rule.
    await open_plan(scenario)
    await publish(scenario)
    david_user = scenario.candidates["David"]
    text = (await waiting_message(david_user)).text
    assert contains(text, PLACE, place=1)
    assert contains(text, RULE_EXPLAINED["staff"])
    assert scenario.waiting is not None
    assert not [m for m in await scenario.waiting.received() if says(WAITING_TEXT)(m)]
