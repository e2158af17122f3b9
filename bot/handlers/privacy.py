"""Data rights: `/confidentialite` (the notice), `/mesdonnees` (a copy), `/supprimer` (erase)."""

from __future__ import annotations

import contextlib
import io
from datetime import datetime
from typing import Any

from telegram import InputFile, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.callbacks import Erase, button
from bot.context import services, translator_for
from bot.dates import format_when
from bot.handlers.aftercare.review import aftercare_lines
from bot.handlers.common import Context, reply
from bot.i18n import N_, Translator
from bot.keyboards import rows
from bot.services.privacy import PersonExport, erase_person, export_person
from bot.services.profiles import sector_labels

DEFAULT_ZONE = "Europe/Paris"  # for dates that belong to no event (consent, first contact)

PERSON_LABELS = {
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "username": N_("Telegram username"),
    "telegram_id": N_("Telegram number"),
    "role": N_("Role"),
    "language": N_("Language"),
    "consent_at": N_("Consent given on"),
    "consent_recorded_by_staff": N_("Consent recorded by the team"),
    "created_at": N_("Known since"),
}
CANDIDATE_LABELS = {
    "age_band": N_("Age"),
    "sectors": N_("Sectors"),
    "target_job": N_("Job you aim for"),
    "strengths": N_("Skills"),
    "qualities": N_("Soft skills"),
    "programme": N_("Support programme"),
    "constraints": N_("Constraints"),
    "share_card": N_("Card shown to employers"),
}
EMPLOYER_LABELS = {
    "company": N_("Company"),
    "job_title": N_("Job title"),
    "sectors": N_("Sectors"),
    "jobs": N_("Jobs"),
    "max_candidates": N_("Candidates you can meet"),
}


def privacy_notice(_: Translator, months: int) -> str:
    """`months`: the configured retention (`Settings.retention_months`)."""
    return "\n".join(
        [
            _("<b>Your data at Passerelle</b>"),
            _("• We store what you tell us when you sign up, to organise the meetings."),
            _("• The organising team sees everything. Employers see only your portrait card."),
            _("• Your constraints and your programme stay with the team."),
            _(
                "• After an event, an employer may write a short opinion about each candidate met."
                " The team sees it. Only the person concerned receives it, nobody else."
            ),
            _(
                "• Your answers after an event (how it went, where you stand later) are seen by"
                " the team. Funders only get anonymous numbers."
            ),
            _("• Your data is erased {months} months after your last event.", months=months),
            _("• /mesdonnees sends you a copy of everything we store."),
            _("• /supprimer erases everything, at any time."),
        ]
    )


async def privacy_command(update: Update, context: Context) -> None:
    months = services(context).settings.retention_months
    await reply(update, privacy_notice(translator_for(update), months))


STATUS_LABELS = {
    "registered": N_("signed up"),
    "confirmed": N_("attendance confirmed"),
    "waiting": N_("on the waiting list"),
    "withdrawn": N_("withdrawn"),
    "ineligible": N_("not admitted"),
}


def _value(_: Translator, key: str, value: Any, zone: str = DEFAULT_ZONE) -> str:
    if value is None or value == [] or value == "":
        return _.plain("—")
    if isinstance(value, bool):
        return _.plain("yes") if value else _.plain("no")
    if isinstance(value, datetime):
        return format_when(value, zone, _.language)
    if key == "sectors":
        return ", ".join(sector_labels(list(value), _.language)) or _.plain("—")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def export_text(_: Translator, export: PersonExport) -> str:
    """Plain UTF-8 text with French labels: readable on a phone, printable."""
    lines = [_.plain("Everything Passerelle stores about you"), ""]
    sections: list[tuple[str, dict[str, Any] | None, dict[str, str]]] = [
        (_.plain("You"), export.person, PERSON_LABELS),
        (_.plain("Your candidate profile"), export.candidate, CANDIDATE_LABELS),
        (_.plain("Your employer profile"), export.employer, EMPLOYER_LABELS),
    ]
    for title, values, labels in sections:
        if values is None:
            continue
        lines += [f"== {title} =="]
        lines += [f"{_.plain(labels[key])} : {_value(_, key, values[key])}" for key in labels]
        lines.append("")
    if export.candidate is not None:
        lines += [_.plain("Photo: {value}", value=_value(_, "", export.photo is not None)), ""]
    sign_ups = _.plain("Your sign-ups")
    lines.append(f"== {sign_ups} ==")
    if not export.registrations:
        lines.append(_.plain("—"))
    for reg in export.registrations:
        status = _.plain(STATUS_LABELS[reg.status]) if reg.status in STATUS_LABELS else reg.status
        lines += [
            f"- {reg.event_name} ({_value(_, '', reg.event_starts_at, reg.timezone)})",
            "  " + _.plain("Status: {value}", value=status),
            "  " + _.plain("Site: {value}", value=reg.site_name or _.plain("—")),
            "  " + _.plain("Remote: {value}", value=_value(_, "", reg.remote)),
            "  "
            + _.plain(
                "Answers to the event's questions: {value}",
                value=_value(
                    _,
                    "",
                    [
                        _.plain("yes") if answer else _.plain("no")
                        for answer in reg.eligibility_answers.values()
                    ],
                ),
            ),
            "  " + _.plain("Wishes to meet: {value}", value=_value(_, "", reg.wishes)),
            "  "
            + _.plain("Signed up on: {value}", value=_value(_, "", reg.created_at, reg.timezone)),
        ]
    lines += aftercare_lines(_, export.aftercare)
    lines += [
        "",
        _.plain("Messages prepared for you: {count}", count=export.messages_count),
        "",
        _.plain("To erase everything: /supprimer"),
    ]
    return "\n".join(lines) + "\n"


async def my_data_command(update: Update, context: Context) -> None:
    _ = translator_for(update)
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    export = await export_person(services(context).database, user.id)
    if export is None:
        await reply(update, _("We store nothing about you."))
        return
    content = export_text(_, export).encode("utf-8")
    await context.bot.send_document(
        chat.id,
        InputFile(io.BytesIO(content), filename="mes-donnees-passerelle.txt"),
        caption=_("Here is everything we store about you."),
    )
    if export.photo:
        await context.bot.send_document(
            chat.id, InputFile(io.BytesIO(export.photo), filename="ma-photo.jpg")
        )


async def erase_command(update: Update, context: Context) -> None:
    _ = translator_for(update)
    keyboard = rows(
        [
            button(_.plain("Yes, erase everything"), Erase("yes")),
            button(_.plain("No, keep"), Erase("no")),
        ]
    )
    await reply(
        update,
        _("Do you really want to erase all your data?")
        + "\n"
        + _("Your profile and your sign-ups will be erased. This cannot be undone."),
        reply_markup=keyboard,
    )


async def erase_pressed(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    _ = translator_for(update)
    data = Erase.parse(query.data)
    if data is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    await query.answer()
    with contextlib.suppress(TelegramError):  # too old to edit: the reply below matters
        await query.edit_message_reply_markup(reply_markup=None)
    if data.answer == "no":
        await reply(update, _("Nothing was erased."))
        return
    app = services(context)
    user_id = update.effective_user.id
    role = await erase_person(app.database, user_id)
    if context.user_data is not None:
        context.user_data.clear()
    if role is None:
        await reply(update, _("We stored nothing about you. Nothing to erase."))
        return
    await reply(
        update,
        _("Done: all your data has been erased.")
        + "\n"
        + _("Thank you for using Passerelle. You can come back at any time with /start."),
    )


def register(application: Application) -> None:
    application.add_handler(CommandHandler("confidentialite", privacy_command))
    application.add_handler(CommandHandler("mesdonnees", my_data_command))
    application.add_handler(CommandHandler("supprimer", erase_command))
    application.add_handler(CallbackQueryHandler(erase_pressed, pattern=Erase.pattern()))
