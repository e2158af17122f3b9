"""The summary of a sign-up, changing one answer from it, and storing everything at once."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot.context import services, translator_for
from bot.db.models.events import RegistrationStatus
from bot.handlers.common import Context, identity_of, reply
from bot.handlers.signup_flow import (
    END,
    FLOWS,
    STAFF,
    STEPS,
    SUMMARIES,
    SUMMARY,
    Draft,
    ask,
    choice,
    close_choice,
    drop_draft,
    pressed,
    refuse_button,
)
from bot.portrait import PhotoRejected, normalise_photo
from bot.services.signup import Answers, complete_signup, event_view


async def show_summary(update: Update, context: Context, draft: Draft) -> str:
    _ = translator_for(update)
    draft["step"] = SUMMARY
    draft["editing"] = False
    lines = [_("<b>Please check your answers</b>"), *SUMMARIES[draft["role"]](_, draft)]
    lines += ["", _("Is everything right?")]
    edits = [
        choice("✏️ " + _.plain(STEPS[name].label), draft, SUMMARY, "edit", name)
        for name in FLOWS[draft["role"]]
        if STEPS[name].editable and name in draft.get("asked", [])
    ]
    keyboard = [[choice("✅ " + _.plain("That's right"), draft, SUMMARY, "ok")]]
    keyboard += [edits[index : index + 2] for index in range(0, len(edits), 2)]
    await reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(keyboard))
    return SUMMARY


async def summary_pressed(update: Update, context: Context) -> str | int | None:
    got = await pressed(update, context, SUMMARY)
    if got is None:
        return None
    draft, values = got
    query = update.callback_query
    assert query is not None
    if values == ["ok"]:
        return await confirm(update, context, draft)
    if len(values) == 2 and values[0] == "edit" and values[1] in FLOWS[draft["role"]]:
        step = STEPS[values[1]]
        if step.editable:
            await query.answer()
            await close_choice(update)
            draft["editing"] = True
            if await ask(update, context, draft, step.name):
                return step.name
            return await show_summary(update, context, draft)
    await refuse_button(update, context)
    return None


async def photo_of(context: Context, draft: Draft) -> bytes | None:
    file_id = draft["answers"].get("photo_file_id")
    if not file_id:
        return None
    telegram_file = await context.bot.get_file(file_id)
    try:
        return normalise_photo(bytes(await telegram_file.download_as_bytearray()))
    except PhotoRejected:
        return None


async def confirm(update: Update, context: Context, draft: Draft) -> int | None:
    """Store everything at once; the event may have closed while the person was answering."""
    query = update.callback_query
    assert query is not None
    app = services(context)
    _ = translator_for(update)
    view = await event_view(app.database, int(draft["event_id"]))
    if view is None or not view.is_open:
        await query.answer(_.plain("Sign-ups for this event are closed."), show_alert=True)
        await close_choice(update)
        drop_draft(context)
        await reply(
            update, _("Sign-ups for this event closed in the meantime. Nothing was stored.")
        )
        return END
    await query.answer()
    await close_choice(update, _.plain("That's right"))
    result = await save(update, context, draft, RegistrationStatus.REGISTERED)
    drop_draft(context)
    if draft["mode"] == STAFF:
        link = f"https://t.me/{context.bot.username}?start={result.claim_code}"
        await reply(
            update,
            _(
                "Done: {name} is registered for “{event}”.",
                name=draft["answers"]["first_name"],
                event=view.name,
            )
            + "\n\n"
            + _(
                "Give this personal link to the person. It works once and links their Telegram "
                "account to this registration:"
            )
            + f"\n{link}",
        )
        return END
    await reply(
        update,
        _(
            "Thank you {name}, you are signed up for “{event}”!",
            name=draft["answers"]["first_name"],
            event=view.name,
        )
        + "\n"
        + _("You will receive your convocation (where, when, with whom) before the event.")
        + "\n"
        + _("Type /profil to see your portrait card."),
    )
    return END


async def save(update: Update, context: Context, draft: Draft, status: str) -> Any:
    app = services(context)
    answers = Answers.from_draft(draft["role"], draft["answers"], draft.get("consent_at"))
    return await complete_signup(
        app.database,
        identity=None if draft["mode"] == STAFF else identity_of(update),
        event_id=int(draft["event_id"]),
        answers=answers,
        status=status,
        photo=await photo_of(context, draft),
        recorded_by=draft.get("recorded_by"),
    )
