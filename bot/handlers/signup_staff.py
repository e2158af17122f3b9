"""Staff registering someone (`/inscrire`) and the personal link that later attaches the
person's Telegram account to that registration (`/start p_XXXX`).
"""

from __future__ import annotations

from telegram import Update

from bot.context import services, translator_for
from bot.db.models.people import Role
from bot.handlers.common import Context, identity_of, reply, staff_only
from bot.handlers.signup_consent import ask_consent
from bot.handlers.signup_flow import (
    CONSENT,
    END,
    STAFF,
    STAFF_EVENT,
    STAFF_ROLE,
    choice,
    close_choice,
    new_draft,
    pressed,
    refuse_button,
)
from bot.keyboards import column, rows
from bot.services.people import touch_person
from bot.services.signup import ClaimRefused, attach_account, event_view, open_events


@staff_only
async def staff_start(update: Update, context: Context) -> str | int:
    """`/inscrire`: staff answer the questions for someone without the app at hand."""
    app = services(context)
    _ = translator_for(update)
    events = await open_events(app.database)
    if not events:
        await reply(update, _("There is no open event right now."))
        return END
    staff = await touch_person(app.database, identity_of(update), app.settings.staff_ids)
    draft = new_draft(context, role=Role.CANDIDATE, mode=STAFF, event_id=None)
    draft["recorded_by"] = staff.id
    draft["step"] = STAFF_EVENT
    keyboard = column([choice(view.name[:40], draft, STAFF_EVENT, view.id) for view in events[:10]])
    await reply(update, _("Register someone: for which event?"), reply_markup=keyboard)
    return STAFF_EVENT


async def staff_event_chosen(update: Update, context: Context) -> str | int | None:
    got = await pressed(update, context, STAFF_EVENT)
    if got is None:
        return None
    draft, values = got
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    view = await event_view(services(context).database, int(values[0])) if values else None
    if view is None or not view.is_open:
        await query.answer(_("Sign-ups for this event are closed."), show_alert=True)
        return None
    await query.answer()
    await close_choice(update, view.name)
    draft["event_id"] = view.id
    draft["event_name"] = view.name
    draft["step"] = STAFF_ROLE
    keyboard = rows(
        [
            choice(_.plain("Candidate"), draft, STAFF_ROLE, Role.CANDIDATE.value),
            choice(_.plain("Employer"), draft, STAFF_ROLE, Role.EMPLOYER.value),
        ]
    )
    await reply(update, _("Is this person a candidate or an employer?"), reply_markup=keyboard)
    return STAFF_ROLE


async def staff_role_chosen(update: Update, context: Context) -> str | int | None:
    got = await pressed(update, context, STAFF_ROLE)
    if got is None:
        return None
    draft, values = got
    query = update.callback_query
    assert query is not None
    if not values or values[0] not in (Role.CANDIDATE, Role.EMPLOYER):
        await refuse_button(update, context)
        return None
    await query.answer()
    _ = translator_for(update)
    draft["role"] = values[0]
    await close_choice(
        update, _.plain("Candidate") if values[0] == Role.CANDIDATE else _.plain("Employer")
    )
    await ask_consent(update, context, draft)
    return CONSENT


async def claim_link(update: Update, context: Context) -> None:
    """`/start p_XXXX`: the personal link staff gave someone they registered."""
    app = services(context)
    _ = translator_for(update)
    code = context.args[0] if context.args else ""
    try:
        first_name = await attach_account(app.database, code, identity_of(update))
    except ClaimRefused:
        await reply(
            update,
            _("Your Telegram account already has its own sign-up.")
            + "\n"
            + _("Please ask the organising team to merge them."),
        )
        return
    if first_name is None:
        await reply(update, _("This personal link is not valid or has already been used."))
        return
    await reply(
        update,
        _(
            "Welcome {name}! Your registration is now linked to your Telegram account.",
            name=first_name,
        )
        + "\n"
        + _("Type /profil to see your portrait card."),
    )
