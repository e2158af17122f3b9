"""How a sign-up starts: an invitation link, or an open event chosen after `/start`."""

from __future__ import annotations

from telegram import Update

from bot.context import services, translator_for
from bot.db.models.people import Role
from bot.handlers.common import Context, identity_of, reply
from bot.handlers.signup_consent import ask_consent
from bot.handlers.signup_flow import (
    CONSENT,
    END,
    ENTRY_PREFIX,
    SIGNUP,
    close_choice,
    drop_draft,
    new_draft,
)
from bot.keyboards import button, column, unpack
from bot.services.signup import event_view, find_invitation, open_events, registration_status


async def start_from_link(update: Update, context: Context) -> str | int:
    """`/start c_XXXX` or `/start e_XXXX`: the invitation link of an event."""
    app = services(context)
    _ = translator_for(update)
    code = context.args[0] if context.args else ""
    invitation = await find_invitation(app.database, code)
    if invitation is None:
        await reply(
            update,
            _("This invitation link is not valid.")
            + "\n"
            + _("Please check it with your adviser, or type /start to see the open events."),
        )
        return END
    if not invitation.is_open:
        await reply(update, _("Sign-ups for this event are closed. Thank you for your interest."))
        return END
    return await begin(update, context, invitation.event_id, invitation.role)


async def start_from_button(update: Update, context: Context) -> str | int:
    """An open event chosen from the list shown after `/start`."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    parts = unpack(query.data)
    if len(parts) != 3 or not parts[1].isdigit() or parts[2] not in (Role.CANDIDATE, Role.EMPLOYER):
        await query.answer(_("This button is not valid."), show_alert=True)
        return END
    view = await event_view(services(context).database, int(parts[1]))
    if view is None or not view.is_open:
        await query.answer(_("Sign-ups for this event are closed."), show_alert=True)
        return END
    await query.answer()
    await close_choice(update, view.name)
    return await begin(update, context, view.id, parts[2])


async def begin(update: Update, context: Context, event_id: int, role: str) -> str | int:
    app = services(context)
    _ = translator_for(update)
    view = await event_view(app.database, event_id)
    assert view is not None
    status = await registration_status(app.database, identity_of(update).telegram_id, event_id)
    if status is not None:
        drop_draft(context)
        await reply(
            update,
            _("You are already signed up for “{event}”.", event=view.name)
            + "\n"
            + _("Type /profil to see or change your portrait card."),
        )
        return END
    draft = new_draft(context, role=role, mode=SIGNUP, event_id=event_id)
    draft["event_name"] = view.name
    await ask_consent(update, context, draft)
    return CONSENT


async def offer_open_events(update: Update, context: Context, role: str) -> None:
    """After someone picks a role in `/start`: the open events, one button each."""
    _ = translator_for(update)
    events = await open_events(services(context).database)
    if not events:
        await reply(
            update,
            _("There is no open event right now.")
            + "\n"
            + _("Your adviser will send you an invitation link."),
        )
        return
    keyboard = column([button(view.name[:40], ENTRY_PREFIX, view.id, role) for view in events[:10]])
    await reply(update, _("Which event do you want to sign up for?"), reply_markup=keyboard)
