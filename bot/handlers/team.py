"""/equipe: the organising team sees its members, adds and removes people (staff only).

Adding never asks to forward anything: "Ajouter" lists the people who wrote to the bot
recently (first name and role) as buttons; a one-time link (`/start staff_<code>`) makes
whoever opens it staff; `/equipe <Telegram number>` is there for the rest. Members from
PASSERELLE_STAFF_IDS are shown "(configuration)" and have no remove button. Every command
and button is checked on the server (`staff_only`), except the link, which is its own proof.
"""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, InlineKeyboardButton, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.callbacks import CrewAdd, CrewMenu, CrewRemove, button, parse_any, prefix_pattern
from bot.commands import commands_for
from bot.context import services, translator_for
from bot.db.models.people import Role
from bot.handlers.common import Context, identity_of, reply, staff_only
from bot.handlers.start import ROLE_NAMES
from bot.i18n import N_, Translator
from bot.keyboards import column
from bot.outbox import wake
from bot.services import team
from bot.services.invitations import deep_link
from bot.services.people import touch_person
from bot.services.team import Change, Member, Newcomer, TeamChange

log = logging.getLogger(__name__)

CREW = "crew"
LINK_FILTER = filters.Regex(rf"^/start(@\w+)?\s+{team.LINK_PREFIX}[\w-]+\s*$")

ADD_ANSWERS = {
    Change.ADDED: N_("{name} is now part of the organising team. A message tells them so."),
    Change.ALREADY: N_("{name} is already part of the organising team. Nothing changes."),
    Change.UNKNOWN: N_(
        "I do not know this person. They must first write to the bot, for example /start."
    ),
}
REMOVE_ANSWERS = {
    Change.REMOVED: N_("{name} is no longer part of the organising team."),
    Change.NOT_STAFF: N_("{name} is not part of the organising team. Nothing changes."),
    Change.CONFIGURED: N_(
        "{name} is in the configuration of the bot and stays in the team. "
        "Only the technical manager can change that."
    ),
    Change.UNKNOWN: N_("This person is no longer known to the bot. Nothing changes."),
}


def member_line(_: Translator, member: Member) -> str:
    name = member.first_name or _("Telegram number {number}", number=member.telegram_id)
    if member.configured:
        return _("• {name} (configuration)", name=name)
    return _("• {name}", name=name)


def team_buttons(_: Translator, members: list[Member]) -> list[InlineKeyboardButton]:
    """One "Remove" per member added here (configured ones have none), then the ways in."""
    removable = [
        button(
            _.plain("Remove {name}", name=member.first_name or str(member.telegram_id))[:60],
            CrewRemove(member.person_id, False),
        )
        for member in members
        if not member.configured and member.person_id is not None
    ]
    return [
        *removable,
        button(_.plain("➕ Add someone"), CrewMenu("add")),
        button(_.plain("🔗 A link to join the team"), CrewMenu("link")),
    ]


async def show_team(update: Update, context: Context) -> None:
    app = services(context)
    _ = translator_for(update)
    members = await team.team(app.database, app.settings.staff_ids)
    lines = [_("<b>The organising team</b>"), *(member_line(_, m) for m in members)]
    if any(not member.configured for member in members):
        lines += ["", _("To take someone off the team, press their name below.")]
    await reply(
        update,
        "\n".join(lines)[:3900],
        reply_markup=column(team_buttons(_, members)),
    )


def newcomer_label(_: Translator, person: Newcomer) -> str:
    role = _.plain(ROLE_NAMES[Role(person.role)]) if person.role else _.plain("no role yet")
    return _.plain("{name} – {role}", name=person.first_name or "?", role=role)[:60]


@staff_only
async def team_command(update: Update, context: Context) -> None:
    """`/equipe` shows the team; `/equipe 123456789` adds that Telegram user."""
    argument = context.args[0] if context.args else ""
    if argument:
        _ = translator_for(update)
        if not argument.isdecimal() or len(argument) > 18:
            await reply(
                update,
                _("Type /equipe followed by the person's Telegram number, e.g. /equipe 123456789."),
            )
            return
        app = services(context)
        change = await team.add_by_telegram_id(app.database, int(argument), app.settings.staff_ids)
        await _added(update, context, change, int(argument))
        return
    await show_team(update, context)


@staff_only
async def on_team_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    await query.answer()
    _ = translator_for(update)
    app = services(context)
    data = parse_any(query.data, (CrewMenu, CrewAdd, CrewRemove))
    if isinstance(data, CrewAdd):
        change = await team.add_member(app.database, data.person_id, app.settings.staff_ids)
        telegram_id = await team.telegram_id_of(app.database, data.person_id)
        await _added(update, context, change, telegram_id)
    elif isinstance(data, CrewRemove) and not data.sure:
        name = await team.member_name(app.database, data.person_id)
        if name is None:
            await reply(update, _(REMOVE_ANSWERS[Change.UNKNOWN]))
            return
        await reply(
            update,
            _("Take {name} off the organising team?", name=name),
            reply_markup=column(
                [
                    button(_.plain("Yes, take them off"), CrewRemove(data.person_id, True)),
                    button(_.plain("No, keep them"), CrewMenu("list")),
                ]
            ),
        )
    elif isinstance(data, CrewRemove):
        telegram_id = await team.telegram_id_of(app.database, data.person_id)
        change = await team.remove_member(app.database, data.person_id, app.settings.staff_ids)
        await reply(update, _(REMOVE_ANSWERS[change.outcome], name=change.first_name))
        if change.outcome is Change.REMOVED and telegram_id is not None:
            await _set_menu(context, telegram_id, None)
    elif isinstance(data, CrewMenu) and data.action == "add":
        await _offer_people(update, context)
    elif isinstance(data, CrewMenu) and data.action == "link":
        code = await team.new_link_code(app.database, update.effective_user.id)
        link = deep_link(context.bot.username, team.LINK_PREFIX + code)
        await reply(
            update,
            _(
                "Send this link to your colleague. Whoever opens it joins the organising "
                "team. It works once, for 7 days."
            )
            + "\n\n"
            + link,
            disable_web_page_preview=True,
        )
    elif isinstance(data, CrewMenu):
        await show_team(update, context)
    else:
        await reply(update, _("This button is no longer valid. Type /equipe."))


async def _offer_people(update: Update, context: Context) -> None:
    app = services(context)
    _ = translator_for(update)
    people = await team.recent_people(app.database, app.settings.staff_ids)
    others = _(
        "You can also send a link to join the team, or type /equipe followed by the "
        "person's Telegram number."
    )
    link = button(_.plain("🔗 A link to join the team"), CrewMenu("link"))
    if not people:
        await reply(
            update,
            _("Nobody outside the team wrote to the bot in the last 14 days.") + "\n" + others,
            reply_markup=column([link]),
        )
        return
    await reply(
        update,
        _("Who joins the team? Here are the people who wrote to the bot lately.") + "\n" + others,
        reply_markup=column(
            [button(newcomer_label(_, p), CrewAdd(p.person_id)) for p in people] + [link]
        ),
    )


async def _added(
    update: Update, context: Context, change: TeamChange, telegram_id: int | None
) -> None:
    _ = translator_for(update)
    await reply(update, _(ADD_ANSWERS[change.outcome], name=change.first_name))
    if change.outcome is Change.ADDED:
        wake(context.application)
        if telegram_id is not None:
            await _set_menu(context, telegram_id, Role.STAFF)


async def _set_menu(context: Context, telegram_id: int, role: str | None) -> None:
    """The command menu of that person's chat: the team's commands, or the public ones."""
    _ = Translator.for_language("fr")
    menu = [BotCommand(c.name, _(c.description)) for c in commands_for(role or Role.CANDIDATE)]
    try:
        await context.bot.set_my_commands(menu, scope=BotCommandScopeChat(telegram_id))
    except TelegramError:
        log.info("Could not set the command menu of a chat")


async def on_staff_link(update: Update, context: Context) -> None:
    """`/start staff_<code>`: the one-time link makes whoever opens it staff."""
    app = services(context)
    _ = translator_for(update)
    identity = identity_of(update)
    await touch_person(app.database, identity, app.settings.staff_ids)
    argument = context.args[0] if context.args else ""
    change = await team.use_link(
        app.database,
        argument.removeprefix(team.LINK_PREFIX),
        identity.telegram_id,
        app.settings.staff_ids,
    )
    if change.outcome is Change.ADDED:
        await reply(
            update,
            _(
                "Welcome to the organising team, {name}! Type /aide to see what you can do.",
                name=change.first_name,
            ),
        )
        await _set_menu(context, identity.telegram_id, Role.STAFF)
    elif change.outcome is Change.ALREADY:
        await reply(update, _("You are already part of the organising team."))
    else:
        await reply(
            update, _("This link to join the team no longer works. Ask the team for a new one.")
        )


def register(application: Application) -> None:
    application.add_handler(CommandHandler("start", on_staff_link, filters=LINK_FILTER))
    application.add_handler(CommandHandler("equipe", team_command))
    application.add_handler(CallbackQueryHandler(on_team_button, pattern=prefix_pattern(CREW)))
