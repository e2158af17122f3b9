"""`/profil`: the person's portrait card as an image, with a button to change each field.

A change button (`pf:<step>`) asks that one sign-up question again (the same `Step`); once it
is answered, the card is saved at once (`save_change`, the form's `after_answer`) and shown.
"""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.callbacks import ProfileEdit, button
from bot.context import services, translator_for
from bot.db.models.people import Role
from bot.engine.conversation import END
from bot.engine.steps import At, Flow, Form, Goto, Handler, Outcome
from bot.handlers.common import Context, reply
from bot.handlers.signup import candidate, employer
from bot.handlers.signup.draft import Mode, SignUpDraft, changed_card, profile_answers
from bot.handlers.signup.shared import photo_of
from bot.keyboards import rows
from bot.portrait import render_card
from bot.services.profiles import own_card, own_profile, update_profile

# The sign-up steps a person may change on their own card, in the card's order.
EDITABLE: dict[Role, tuple[str, ...]] = {
    Role.CANDIDATE: ("name", "job", "str", "qual", "sec", "photo", "age", "cons"),
    Role.EMPLOYER: ("name", "comp", "title", "sec", "jobs", "cap"),
}
FLOWS: dict[Role, Flow[SignUpDraft]] = {
    Role.CANDIDATE: candidate.FLOW,
    Role.EMPLOYER: employer.FLOW,
}


def _label(role: Role, state: str) -> str:
    flow = FLOWS[role]
    position = flow.index(state)
    label = flow.steps[position].label if position is not None else None
    assert label is not None, state
    return label


async def send_card(update: Update, context: Context) -> None:
    """The card as a photo, and the change buttons under it."""
    _ = translator_for(update)
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    database = services(context).database
    card = await own_card(database, user.id)
    own = await own_profile(database, user.id)
    if card is None or own is None:
        await reply(
            update,
            _("You do not have a portrait card yet.")
            + "\n"
            + _("Open the invitation link your adviser sent you, or type /start."),
        )
        return
    image = await asyncio.to_thread(render_card, card)
    keyboard = rows(
        [
            button("✏️ " + _.plain(_label(own.role, state)), ProfileEdit(state))
            for state in EDITABLE[own.role]
        ]
    )
    caption = _("Your portrait card. Employers of your events see it before meeting you.")
    if own.role == Role.EMPLOYER:
        caption = _("Your card. The candidates you meet see it.")
    await context.bot.send_photo(chat.id, image, caption=caption, reply_markup=keyboard)


async def profile_command(update: Update, context: Context) -> None:
    await send_card(update, context)


def edit(form: Form[SignUpDraft]) -> Handler:
    """A change button under the card: the same question as in the sign-up."""

    async def edit_from_profile(update: Update, context: Context) -> object:
        query = update.callback_query
        assert query is not None and update.effective_user is not None
        _ = translator_for(update)
        data = ProfileEdit.parse(query.data)
        own = await own_profile(services(context).database, update.effective_user.id)
        if own is None or data is None or data.step not in EDITABLE[own.role]:
            await query.answer(_("This button is not valid."), show_alert=True)
            return END
        await query.answer()
        draft = SignUpDraft(role=own.role, mode=Mode.PROFILE, answers=profile_answers(own))
        state = await form.begin(update, context, draft, data.step)
        if state != data.step:  # nothing to ask after all
            form.drafts.drop(context)
            return END
        return state

    return edit_from_profile


async def save_change(at: At[SignUpDraft], state: str) -> Outcome:
    """After the answer of a `/profil` change: saved at once, and the card shown again."""
    _ = at.tr
    if at.draft.mode is not Mode.PROFILE:
        return None
    user = at.update.effective_user
    assert user is not None
    card = changed_card(at.draft)
    if isinstance(card, str):
        return Goto(card)
    photo = await photo_of(at.context, at.draft)
    saved = await update_profile(services(at.context).database, user.id, card, photo)
    if not saved:
        await at.reply(_("Your profile could not be found. Type /start."))
        return END
    await at.reply(_("Saved."))
    await send_card(at.update, at.context)
    return END
