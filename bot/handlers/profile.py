"""`/profil`: the person's portrait card as an image, with a button to change each field.

The change buttons (`pf:<step>`) start the sign-up conversation on that one question; the
step codes below are the sign-up's state names.
"""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import services, translator_for
from bot.db.models.people import Role
from bot.db.session import Database
from bot.handlers.common import Context, reply
from bot.i18n import N_
from bot.keyboards import button, rows
from bot.portrait import render_card
from bot.services.profiles import OwnProfile, own_card, own_profile

EDIT_PREFIX = "pf"

# (sign-up step, button label) per role: what a person may change on their own card.
EDITABLE: dict[str, tuple[tuple[str, str], ...]] = {
    Role.CANDIDATE.value: (
        ("name", N_("First name")),
        ("job", N_("Job")),
        ("str", N_("Skills")),
        ("qual", N_("Soft skills")),
        ("sec", N_("Sectors")),
        ("photo", N_("Photo")),
        ("age", N_("Age")),
        ("cons", N_("Constraints")),
    ),
    Role.EMPLOYER.value: (
        ("name", N_("First name")),
        ("comp", N_("Company")),
        ("title", N_("Job title")),
        ("sec", N_("Sectors")),
        ("jobs", N_("Jobs")),
        ("cap", N_("Candidates")),
    ),
}


async def profile_for_edit(database: Database, update: Update) -> OwnProfile | None:
    user = update.effective_user
    return await own_profile(database, user.id) if user else None


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
            button("✏️ " + _.plain(label), EDIT_PREFIX, code)
            for code, label in EDITABLE.get(own.role, ())
        ]
    )
    caption = _("Your portrait card. Employers of your events see it before meeting you.")
    if own.role == Role.EMPLOYER:
        caption = _("Your card. The candidates you meet see it.")
    await context.bot.send_photo(chat.id, image, caption=caption, reply_markup=keyboard)


async def profile_command(update: Update, context: Context) -> None:
    await send_card(update, context)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("profil", profile_command))
