"""Answering "did it happen?" and the feedback after it, as a person does: one press at a time.

    question = await question_for(alice, "Did your meeting with {names} take place?")
    await answer(alice, question, "Yes")             # presses this message's own button
    await tapped(alice, "🙂 " + t("Useful"), "What helped you most?")

A person may hold several questions with the same buttons (rooms, candidates met), so
`answer` presses the button of the given message, not the latest one with that label.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.sandbox.client import BotMessage, User
from tests.helpers.aftercare import questions_of
from tests.helpers.conversation import Expect, step
from tests.helpers.texts import says, t
from tests.helpers.waiting import eventually

YES = "Yes"
ABSENT = "No, the person did not come"
SELF = "I could not come"
DECLINE = "I prefer not to answer"

CANDIDATE_QUESTION = "Did your meeting with {names} take place?"
EMPLOYER_QUESTION = "Did you meet {name}?"
RATING = "Was this meeting useful to you?"
HELPED = "What helped you most?"
LIKED = "What did you like?"
COULD_HAVE_HELPED = "What could have helped you?"
WHO = "Who did not come? Press each name, then “That's all”."
FIRST_THEME = "A short card about {name}: one tap per line."
THEME = "{name} – {number}/5"
STRENGTH = "A strength for {name}: what went well? One sentence is enough."
TIP = "A concrete tip for {name}: what to try next time?"
NEXT = "And next, with this person?"
CARD = "<b>Your card about {name}</b>"

THANKS_CANDIDATE = "Thank you for your answers! They help the team prepare the next meetings."
THANKS_EMPLOYER = "Thank you for this card! It will help {name} move forward."
THANKS_ABSENT = "Thank you for telling us. The team will take it into account."
THANKS_SELF = "Thank you for telling us. We hope to see you at a next meeting."
THANKS_DECLINED = "Noted: we will not ask you about this meeting again. Thank you."
ALREADY_ANSWERED = "You have already answered, thank you."
ALREADY_THIS = "You have already answered this question. Let's carry on."
DECLINED = "You chose not to answer these questions. Thank you all the same."
NOT_YOURS = "This button is not for you."
OLDER = "This button belongs to an older question. Please use the latest message."
CARRY_ON = "Let's carry on where we were."
ASIDE = "I have put these questions aside. To carry on, press “Yes” again under the question."
PRESS_YES_AGAIN = "To carry on with these questions, press “Yes” again under the question."


def face(number: int) -> str:
    """The label of rating `number` (1–4) as shown on its button."""
    faces = {1: ("😞", "Not useful"), 2: ("😐", "A little"), 3: ("🙂", "Useful")}
    emoji, word = faces.get(number, ("😀", "Very useful"))
    return f"{emoji} {t(word)}"


async def question_for(user: User, message: str, /, **values: object) -> BotMessage:
    """The person's question (first message, with `sv:` buttons) saying `message`."""
    matches = says(message, **values)
    found: list[BotMessage] = []

    async def arrived() -> bool:
        found[:] = [m for m in await questions_of(user) if matches(m)]
        return bool(found)

    assert await eventually(arrived), f"no question {message!r} for user {user.id}"
    return found[-1]


def data_of(message: BotMessage, label: str) -> str:
    """The callback data of the button `label` (a message id, or the exact label) on
    `message`, even once its buttons are gone (a late press)."""
    for row in message.buttons:
        for text, data in row:
            if text in (t(label), label) and data is not None:
                return data
    raise AssertionError(f"no button {label!r} on {message.describe()}")


async def answer(user: User, question: BotMessage, label: str) -> None:
    """Press the button `label` (a message id) of this very question."""
    await user.press_data(data_of(question, label), message_id=question.message_id)


async def answered(
    user: User, question: BotMessage, label: str, expect: Expect, /, **values: object
) -> BotMessage:
    """`answer`, then wait for the new message matching `expect`."""
    return await step(user, lambda: answer(user, question, label), expect, **values)


async def tapped(user: User, label: str, expect: Expect, /, **values: object) -> BotMessage:
    """Press the button `label` (exact text) of the latest message showing it, then wait for
    the new message matching `expect`."""
    return await step(user, lambda: user.press(label), expect, **values)


async def alerts(user: User) -> list[str]:
    """The texts of the person's answered button presses, oldest first."""
    return [item.get("text") or "" for item in await user.callback_answers()]


async def alerted(user: User, message: str, /, count: int = 1, **values: object) -> None:
    """Wait until the alert `message` was shown `count` times (one per refused press)."""
    text = t(message, **values)

    async def shown() -> bool:
        return (await alerts(user)).count(text) >= count

    assert await eventually(shown), f"no alert {text!r} x{count}: {await alerts(user)}"
    assert (await alerts(user)).count(text) == count, await alerts(user)


def count_of(messages: list[BotMessage], matches: Callable[[BotMessage], bool]) -> int:
    return len([m for m in messages if matches(m)])
