"""The steps both roles answer: first name, sectors and wishes. Each adds itself to `STEPS`."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.context import services, translator_for
from bot.db.models.people import Role
from bot.handlers.common import Context, reply
from bot.handlers.signup_flow import (
    NAME,
    NAME_LIMIT,
    SECTORS,
    SIGNUP,
    STAFF,
    WISHES,
    Draft,
    Step,
    add_step,
    advance,
    button_step,
    checked,
    choice,
    clean,
    close_choice,
    own_buttons,
    pressed,
    reask,
    refuse_button,
    text_step,
    typed_answer,
)
from bot.i18n import N_, Translator, sectors
from bot.services.signup import meetable_people

# ---------------------------------------------------------------- name (both roles)


async def ask_name(update: Update, context: Context, draft: Draft) -> bool:
    _ = translator_for(update)
    user = update.effective_user
    keyboard = None
    if draft["mode"] == STAFF:
        text = _("What is the person's first name?")
    else:
        text = _("What is your first name?")
        if user is not None and user.first_name and draft["mode"] == SIGNUP:
            label = _.plain("It's me: {name}", name=user.first_name[:30])
            keyboard = InlineKeyboardMarkup([[choice(label, draft, NAME, "tg")]])
    text += "\n" + _("Your last name is optional: write “First name, Last name”.")
    await reply(update, text, reply_markup=keyboard)
    return True


async def _name_given(
    update: Update, context: Context, draft: Draft, text: str
) -> str | int | None:
    first, _comma, last = text.partition(",")
    if not first.strip():
        _ = translator_for(update)
        await reply(update, _("Please write your first name first."))
        await reask(update, context, draft)
        return None
    draft["answers"]["first_name"] = first.strip()
    draft["answers"]["last_name"] = last.strip() or None
    return await advance(update, context, draft, NAME)


name_typed = typed_answer(NAME_LIMIT, _name_given)


async def name_from_telegram(update: Update, context: Context) -> str | int | None:
    got = await pressed(update, context, NAME)
    if got is None:
        return None
    draft, _values = got
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    await query.answer()
    first_name = clean(update.effective_user.first_name)[:NAME_LIMIT] or "?"
    await close_choice(update, first_name)
    draft["answers"]["first_name"] = first_name
    draft["answers"].setdefault("last_name", None)
    return await advance(update, context, draft, NAME)


# ---------------------------------------------------------------- sectors (both roles)


def sectors_keyboard(draft: Draft, language: str) -> InlineKeyboardMarkup:
    chosen = set(draft["answers"].get("sectors") or [])
    buttons = [
        [choice(checked(sector.short_label, sector.code in chosen), draft, SECTORS, sector.code)]
        for sector in sectors(language)
    ]
    _ = Translator.for_language(language)
    buttons.append([choice("➡️ " + _.plain("Done"), draft, SECTORS, "ok")])
    return InlineKeyboardMarkup(buttons)


async def ask_sectors(update: Update, context: Context, draft: Draft) -> bool:
    _ = translator_for(update)
    text = (
        _("Which sectors interest you? Choose one or more, then press “Done”.")
        if draft["role"] == Role.CANDIDATE
        else _("Which sectors do you work in? Choose one or more, then press “Done”.")
    )
    await reply(update, text, reply_markup=sectors_keyboard(draft, _.language))
    return True


async def sector_pressed(update: Update, context: Context) -> str | int | None:
    got = await pressed(update, context, SECTORS)
    if got is None:
        return None
    draft, values = got
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    codes = {sector.code: sector.short_label for sector in sectors(_.language)}
    chosen: list[str] = list(draft["answers"].get("sectors") or [])
    if values == ["ok"]:
        if not chosen:
            await query.answer(_.plain("Choose at least one sector."), show_alert=True)
            return None
        await query.answer()
        await close_choice(update, ", ".join(codes[code] for code in chosen if code in codes))
        return await advance(update, context, draft, SECTORS)
    if len(values) != 1 or values[0] not in codes:
        await refuse_button(update, context)
        return None
    await query.answer()
    code = values[0]
    chosen = [item for item in chosen if item != code] if code in chosen else [*chosen, code]
    draft["answers"]["sectors"] = chosen
    await query.edit_message_reply_markup(reply_markup=sectors_keyboard(draft, _.language))
    return None


# ---------------------------------------------------------------- wishes (both roles)


def _other_side(role: str) -> str:
    return Role.EMPLOYER.value if role == Role.CANDIDATE else Role.CANDIDATE.value


async def _meetable(context: Context, draft: Draft) -> dict[int, str]:
    people = await meetable_people(
        services(context).database, int(draft["event_id"]), _other_side(draft["role"])
    )
    return {item.person_id: item.label for item in people[:20]}


def wishes_keyboard(draft: Draft, people: dict[int, str], _: Translator) -> InlineKeyboardMarkup:
    chosen = set(draft["answers"].get("wishes") or [])
    buttons = [
        [choice(checked(label, person_id in chosen), draft, WISHES, person_id)]
        for person_id, label in people.items()
    ]
    buttons.append([choice("➡️ " + _.plain("Done"), draft, WISHES, "ok")])
    return InlineKeyboardMarkup(buttons)


async def ask_wishes(update: Update, context: Context, draft: Draft) -> bool:
    if draft.get("event_id") is None:
        return False
    people = await _meetable(context, draft)
    if not people:
        return False
    _ = translator_for(update)
    text = (
        _("Would you like to meet some of these employers? Choose any, then press “Done”.")
        if draft["role"] == Role.CANDIDATE
        else _("Would you like to meet some of these candidates? Choose any, then press “Done”.")
    )
    text += "\n" + _("It is a wish: the team will do its best.")
    await reply(update, text, reply_markup=wishes_keyboard(draft, people, _))
    return True


async def wish_pressed(update: Update, context: Context) -> str | int | None:
    got = await pressed(update, context, WISHES)
    if got is None:
        return None
    draft, values = got
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    people = await _meetable(context, draft)
    chosen: list[int] = list(draft["answers"].get("wishes") or [])
    if values == ["ok"]:
        await query.answer()
        names = [people[item] for item in chosen if item in people]
        await close_choice(update, ", ".join(names) or _.plain("No preference"))
        draft["answers"]["wishes"] = [item for item in chosen if item in people]
        return await advance(update, context, draft, WISHES)
    if len(values) != 1 or not values[0].isdigit() or int(values[0]) not in people:
        await refuse_button(update, context)
        return None
    await query.answer()
    person_id = int(values[0])
    chosen = [i for i in chosen if i != person_id] if person_id in chosen else [*chosen, person_id]
    draft["answers"]["wishes"] = chosen
    await query.edit_message_reply_markup(reply_markup=wishes_keyboard(draft, people, _))
    return None


add_step(
    Step(
        NAME,
        ask_name,
        [own_buttons(NAME, name_from_telegram), *text_step(NAME, name_typed)],
        N_("First name"),
    )
)
add_step(Step(SECTORS, ask_sectors, button_step(SECTORS, sector_pressed), N_("Sectors")))
add_step(Step(WISHES, ask_wishes, button_step(WISHES, wish_pressed), N_("Wishes")))
