"""`/start` (welcome and role), the role buttons, and `/aide`."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.callbacks import RoleChoice, button
from bot.commands import commands_for
from bot.context import services, translator_for
from bot.dates import format_span
from bot.db.models.people import Role
from bot.handlers.common import Context, identity_of, reply
from bot.handlers.signup import offer_open_events
from bot.i18n import N_, Translator
from bot.keyboards import column
from bot.services.menu import situation
from bot.services.people import RoleNotAllowed, choose_role, touch_person

ROLE_LABELS = {
    Role.CANDIDATE: N_("Candidate"),
    Role.EMPLOYER: N_("Employer"),
    Role.STAFF: N_("Organising team"),
}
ROLE_NAMES = {
    Role.CANDIDATE: N_("candidate"),
    Role.EMPLOYER: N_("employer"),
    Role.STAFF: N_("organising team"),
}


def role_keyboard(_: Translator, may_be_staff: bool) -> object:
    roles = [Role.CANDIDATE, Role.EMPLOYER] + ([Role.STAFF] if may_be_staff else [])
    return column([button(_(ROLE_LABELS[role]), RoleChoice(role)) for role in roles])


def help_text(_: Translator, role: str | None) -> str:
    lines = [_("Here is what you can do:")]
    lines += [f"/{command.name} — {_(command.description)}" for command in commands_for(role)]
    return "\n".join(lines)


async def start(update: Update, context: Context) -> None:
    """Welcome; the role buttons (staff only for people listed in the configuration)."""
    app = services(context)
    _ = translator_for(update)
    identity = identity_of(update)
    person = await touch_person(app.database, identity, app.settings.staff_ids)
    may_be_staff = identity.telegram_id in app.settings.staff_ids or person.role == Role.STAFF
    if person.role:
        now = await situation(app.database, identity.telegram_id, app.settings.staff_ids)
        lines = [
            _(
                "Hello {name}! You are registered as: {role}.",
                name=person.first_name,
                role=_(ROLE_NAMES[Role(person.role)]),
            )
        ]
        upcoming = now.next_event
        if upcoming is not None:
            when = format_span(upcoming.starts_at, upcoming.ends_at, upcoming.timezone)
            lines.append(_("Your next event: “{event}”, {when}.", event=upcoming.name, when=when))
        elif person.role != Role.STAFF:
            lines.append(_("You are not signed up for any event at the moment."))
        lines += ["", _("Type /aide to see what you can do. To change your role, choose below.")]
        await reply(update, "\n".join(lines), reply_markup=role_keyboard(_, may_be_staff))
        if upcoming is None and person.role != Role.STAFF and now.open_events:
            await offer_open_events(update, context, person.role)
        return
    await reply(
        update,
        _("Hello {name}! Welcome to Passerelle.", name=person.first_name)
        + "\n"
        + _("Here, people looking for a job meet employers.")
        + "\n\n"
        + _("Are you looking for a job, or are you an employer? Press a button."),
        reply_markup=role_keyboard(_, may_be_staff),
    )


async def role_chosen(update: Update, context: Context) -> None:
    """Stores the role; a second press or a forged value changes nothing."""
    query = update.callback_query
    assert query is not None
    app = services(context)
    _ = translator_for(update)
    data = RoleChoice.parse(query.data)
    if data is None:
        await query.answer(_("This button is no longer valid. Type /start."), show_alert=True)
        return
    role = data.role
    identity = identity_of(update)
    await touch_person(app.database, identity, app.settings.staff_ids)
    try:
        person, changed = await choose_role(
            app.database, identity.telegram_id, role, app.settings.staff_ids
        )
    except RoleNotAllowed:
        await query.answer(_("This is for the organising team only."), show_alert=True)
        return
    role_name = _(ROLE_NAMES[role])
    if not changed:
        await query.answer(_("That is already your role: {role}.", role=role_name))
        return
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)
    await reply(
        update,
        _("Thank you! Your role is: {role}.", role=role_name) + "\n\n" + help_text(_, person.role),
    )
    if role == Role.CANDIDATE:
        await offer_open_events(update, context, role)


async def help_command(update: Update, context: Context) -> None:
    app = services(context)
    _ = translator_for(update)
    person = await touch_person(app.database, identity_of(update), app.settings.staff_ids)
    role = person.role
    text = help_text(_, role)
    if role is None:
        text += "\n\n" + _("Type /start to begin.")
    await reply(update, text)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler(["aide", "help"], help_command))
    application.add_handler(CallbackQueryHandler(role_chosen, pattern=RoleChoice.pattern()))
