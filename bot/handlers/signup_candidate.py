"""The candidate's questions, in the order of `FLOWS["candidate"]`.

Imported for its side effect: each step adds itself to `bot.handlers.signup.STEPS`.
"""

from __future__ import annotations

import csv
import html
from functools import cache

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, MessageHandler, filters

from bot.context import services, translator_for
from bot.db.models.events import RegistrationStatus
from bot.db.models.people import Role
from bot.handlers.common import Context, reply
from bot.handlers.signup import (
    END,
    FLOWS,
    ITEM_LIMIT,
    LONG_LIMIT,
    NAME,
    SECTORS,
    SHORT_LIMIT,
    SUMMARIES,
    WISHES,
    Draft,
    Step,
    add_step,
    advance,
    button_step,
    checked,
    choice,
    close_choice,
    draft_of,
    drop_draft,
    lost,
    own_buttons,
    pressed,
    pressed_valid,
    reask,
    refuse_button,
    save,
    text_step,
    typed_answer,
    typed_field,
)
from bot.i18n import LOCALES_DIR, N_, Translator, sectors
from bot.services.signup import event_view

AGE = "age"
JOB = "job"
STRENGTHS = "str"
QUALITIES = "qual"
PROGRAMME = "prg"
ELIGIBILITY = "elig"
SITE = "site"
CONSTRAINTS = "cons"
PHOTO = "photo"

AGE_BANDS = ("18-25", "26-35", "36-45", "46-55", "56+")
MAX_ITEMS = 3


@cache
def suggestions(kind: str, language: str = "fr") -> tuple[str, ...]:
    """Suggested skills (`strengths`) or soft skills (`qualities`), kept as data."""
    path = LOCALES_DIR / language / f"{kind}.csv"
    if not path.exists():
        path = LOCALES_DIR / "fr" / f"{kind}.csv"
    with path.open(encoding="utf-8") as handle:
        return tuple(row["label"] for row in csv.DictReader(handle))


# ---------------------------------------------------------------- age band


async def ask_age(update: Update, context: Context, draft: Draft) -> bool:
    _ = translator_for(update)
    keyboard = InlineKeyboardMarkup(
        [
            [choice(band, draft, AGE, index) for index, band in enumerate(AGE_BANDS[:3])],
            [choice(band, draft, AGE, index + 3) for index, band in enumerate(AGE_BANDS[3:])],
        ]
    )
    await reply(update, _("How old are you?"), reply_markup=keyboard)
    return True


async def age_pressed(update: Update, context: Context) -> str | int | None:
    bands = {str(i) for i in range(len(AGE_BANDS))}
    got = await pressed_valid(
        update, context, AGE, lambda values: len(values) == 1 and values[0] in bands
    )
    if got is None:
        return None
    draft, values = got
    band = AGE_BANDS[int(values[0])]
    await close_choice(update, band)
    draft["answers"]["age_band"] = band
    return await advance(update, context, draft, AGE)


# ---------------------------------------------------------------- target job


async def ask_job(update: Update, context: Context, draft: Draft) -> bool:
    _ = translator_for(update)
    await reply(
        update,
        _("What job are you aiming for?")
        + "\n"
        + _("For example: care assistant, cook, shop assistant."),
    )
    return True


job_typed = typed_field(JOB, "target_job", SHORT_LIMIT)


# ---------------------------------------------------------------- strengths and qualities

LISTS = {
    STRENGTHS: ("strengths", "strengths"),
    QUALITIES: ("qualities", "qualities"),
}


def _items_keyboard(draft: Draft, step: str, _: Translator) -> InlineKeyboardMarkup:
    key, kind = LISTS[step]
    chosen = draft["answers"].get(key) or []
    labels = suggestions(kind, _.language)
    buttons = [
        choice(checked(label, label in chosen), draft, step, index)
        for index, label in enumerate(labels)
    ]
    layout = [buttons[index : index + 2] for index in range(0, len(buttons), 2)]
    layout.append([choice("➡️ " + _.plain("That's all"), draft, step, "done")])
    return InlineKeyboardMarkup(layout)


def _items_text(draft: Draft, step: str, _: Translator) -> str:
    key, _kind = LISTS[step]
    chosen = draft["answers"].get(key) or []
    if step == STRENGTHS:
        text = _("What are your skills? What do you know how to do?")
    else:
        text = _("What are your qualities at work (soft skills)?")
    text += "\n" + _("Choose up to 3, or write your own. Then press “That's all”.")
    if chosen:
        text += "\n\n" + _("Chosen: {items}", items=", ".join(chosen))
    return text


def _asker(step: str):  # type: ignore[no-untyped-def]
    async def ask_items(update: Update, context: Context, draft: Draft) -> bool:
        _ = translator_for(update)
        await reply(
            update, _items_text(draft, step, _), reply_markup=_items_keyboard(draft, step, _)
        )
        return True

    return ask_items


async def _add_item(
    update: Update, context: Context, draft: Draft, step: str, item: str
) -> str | int | None:
    key, _kind = LISTS[step]
    chosen: list[str] = list(draft["answers"].get(key) or [])
    if item.casefold() not in {existing.casefold() for existing in chosen}:
        chosen.append(item)
    draft["answers"][key] = chosen
    if len(chosen) >= MAX_ITEMS:
        return await advance(update, context, draft, step)
    await reask(update, context, draft)
    return None


def _typed_item(step: str):  # type: ignore[no-untyped-def]
    async def add(update: Update, context: Context, draft: Draft, text: str) -> str | int | None:
        return await _add_item(update, context, draft, step, text)

    return typed_answer(ITEM_LIMIT, add)


def _pressed_item(step: str):  # type: ignore[no-untyped-def]
    async def item_pressed(update: Update, context: Context) -> str | int | None:
        got = await pressed(update, context, step)
        if got is None:
            return None
        draft, values = got
        query = update.callback_query
        assert query is not None
        _ = translator_for(update)
        key, kind = LISTS[step]
        chosen: list[str] = list(draft["answers"].get(key) or [])
        if values == ["done"]:
            if not chosen:
                await query.answer(_.plain("Choose or write at least one."), show_alert=True)
                return None
            await query.answer()
            await close_choice(update, ", ".join(chosen))
            return await advance(update, context, draft, step)
        labels = suggestions(kind, _.language)
        if len(values) != 1 or not values[0].isdigit() or int(values[0]) >= len(labels):
            await refuse_button(update, context)
            return None
        await query.answer()
        label = labels[int(values[0])]
        if label in chosen:
            draft["answers"][key] = [item for item in chosen if item != label]
        elif len(chosen) < MAX_ITEMS:
            draft["answers"][key] = [*chosen, label]
        if len(draft["answers"][key]) >= MAX_ITEMS:
            await close_choice(update, ", ".join(draft["answers"][key]))
            return await advance(update, context, draft, step)
        await query.edit_message_text(
            _items_text(draft, step, _), reply_markup=_items_keyboard(draft, step, _)
        )
        return None

    return item_pressed


# ---------------------------------------------------------------- support programme


async def ask_programme(update: Update, context: Context, draft: Draft) -> bool:
    programmes = services(context).settings.programmes
    if not programmes:
        return False
    _ = translator_for(update)
    buttons = [choice(name[:30], draft, PROGRAMME, index) for index, name in enumerate(programmes)]
    keyboard = InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])
    await reply(
        update,
        _("Which support programme are you following?")
        + "\n"
        + _("(Only the organising team sees this answer.)"),
        reply_markup=keyboard,
    )
    return True


async def programme_pressed(update: Update, context: Context) -> str | int | None:
    programmes = services(context).settings.programmes
    got = await pressed_valid(
        update,
        context,
        PROGRAMME,
        lambda values: (
            len(values) == 1 and values[0].isdigit() and int(values[0]) < len(programmes)
        ),
    )
    if got is None:
        return None
    draft, values = got
    programme = programmes[int(values[0])]
    await close_choice(update, programme)
    draft["answers"]["programme"] = programme
    return await advance(update, context, draft, PROGRAMME)


# ---------------------------------------------------------------- eligibility questions


async def ask_eligibility(update: Update, context: Context, draft: Draft) -> bool:
    if draft.get("event_id") is None:
        return False
    view = await event_view(services(context).database, int(draft["event_id"]))
    answered = draft["answers"].setdefault("eligibility", {})
    pending = [q for q in view.questions if str(q.id) not in answered] if view else []
    if not pending:
        return False
    question = pending[0]
    _ = translator_for(update)
    keyboard = InlineKeyboardMarkup(
        [
            [
                choice(_.plain("Yes"), draft, ELIGIBILITY, question.id, 1),
                choice(_.plain("No"), draft, ELIGIBILITY, question.id, 0),
            ]
        ]
    )
    await reply(update, html.escape(question.text), reply_markup=keyboard)
    return True


async def eligibility_pressed(update: Update, context: Context) -> str | int | None:
    got = await pressed(update, context, ELIGIBILITY)
    if got is None:
        return None
    draft, values = got
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    view = await event_view(services(context).database, int(draft["event_id"]))
    answered: dict[str, bool] = draft["answers"].setdefault("eligibility", {})
    pending = [q for q in view.questions if str(q.id) not in answered] if view else []
    if (
        len(values) != 2
        or not pending
        or values[0] != str(pending[0].id)
        or values[1] not in ("0", "1")
    ):
        await query.answer(
            _.plain("This button belongs to an older question. Please use the latest message."),
            show_alert=True,
        )
        return None
    await query.answer()
    question, answer = pending[0], values[1] == "1"
    await close_choice(update, _.plain("Yes") if answer else _.plain("No"))
    answered[str(question.id)] = answer
    if answer != question.admitting_answer:
        return await not_eligible(update, context, draft, question.text)
    if len(pending) > 1:
        await ask_eligibility(update, context, draft)
        return None
    return await advance(update, context, draft, ELIGIBILITY)


async def not_eligible(update: Update, context: Context, draft: Draft, question: str) -> int:
    """Stored as `ineligible` (the person consented), and told why, kindly."""
    _ = translator_for(update)
    await save(update, context, draft, RegistrationStatus.INELIGIBLE)
    drop_draft(context)
    await reply(
        update,
        _("Thank you for your answers.")
        + "\n"
        + _(
            "This event is for people who answer the other way to: “{question}”.", question=question
        )
        + "\n"
        + _("So you cannot sign up for it this time. Your adviser can suggest other events."),
    )
    return END


# ---------------------------------------------------------------- site


async def ask_site(update: Update, context: Context, draft: Draft) -> bool:
    if draft.get("event_id") is None:
        return False
    view = await event_view(services(context).database, int(draft["event_id"]))
    places = view.places if view else ()
    if len(places) <= 1:
        draft["answers"]["site_id"] = places[0].id if places else None
        return False
    _ = translator_for(update)
    keyboard = InlineKeyboardMarkup(
        [[choice(site.name[:40], draft, SITE, site.id)] for site in places]
    )
    await reply(update, _("Which site is easiest for you to get to?"), reply_markup=keyboard)
    return True


async def site_pressed(update: Update, context: Context) -> str | int | None:
    got = await pressed(update, context, SITE)
    if got is None:
        return None
    draft, values = got
    view = await event_view(services(context).database, int(draft["event_id"]))
    places = {str(site.id): site for site in (view.places if view else ())}
    if len(values) != 1 or values[0] not in places:
        await refuse_button(update, context)
        return None
    assert update.callback_query is not None
    await update.callback_query.answer()
    site = places[values[0]]
    await close_choice(update, site.name)
    draft["answers"]["site_id"] = site.id
    draft["answers"]["site_name"] = site.name
    return await advance(update, context, draft, SITE)


# ---------------------------------------------------------------- constraints


async def ask_constraints(update: Update, context: Context, draft: Draft) -> bool:
    _ = translator_for(update)
    keyboard = InlineKeyboardMarkup(
        [[choice(_.plain("Nothing to report"), draft, CONSTRAINTS, "none")]]
    )
    await reply(
        update,
        _(
            "Is there anything the team should know? For example: childcare hours, "
            "accessibility, transport."
        )
        + "\n"
        + _("(Only the organising team sees this answer.)"),
        reply_markup=keyboard,
    )
    return True


constraints_typed = typed_field(CONSTRAINTS, "constraints", LONG_LIMIT)


async def no_constraints(update: Update, context: Context) -> str | int | None:
    got = await pressed_valid(update, context, CONSTRAINTS, lambda values: values == ["none"])
    if got is None:
        return None
    draft, _values = got
    _ = translator_for(update)
    await close_choice(update, _.plain("Nothing to report"))
    draft["answers"]["constraints"] = None
    return await advance(update, context, draft, CONSTRAINTS)


# ---------------------------------------------------------------- photo


async def ask_photo(update: Update, context: Context, draft: Draft) -> bool:
    _ = translator_for(update)
    keyboard = InlineKeyboardMarkup([[choice(_.plain("Skip"), draft, PHOTO, "skip")]])
    await reply(
        update,
        _("Would you like to add a photo to your portrait card? Send it now.")
        + "\n"
        + _("It is optional: employers will see it on your card."),
        reply_markup=keyboard,
    )
    return True


async def photo_sent(update: Update, context: Context) -> str | int | None:
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    message = update.effective_message
    assert message is not None and message.photo
    draft["answers"]["photo_file_id"] = message.photo[-1].file_id
    _ = translator_for(update)
    await reply(update, _("Thank you, your photo is added."))
    return await advance(update, context, draft, PHOTO)


async def photo_skipped(update: Update, context: Context) -> str | int | None:
    got = await pressed_valid(update, context, PHOTO, lambda values: values == ["skip"])
    if got is None:
        return None
    draft, _values = got
    _ = translator_for(update)
    await close_choice(update, _.plain("Skip"))
    if draft["mode"] != "profile":
        draft["answers"]["photo_file_id"] = None
    return await advance(update, context, draft, PHOTO)


async def photo_expected(update: Update, context: Context) -> None:
    _ = translator_for(update)
    draft = draft_of(context)
    await reply(update, _("Please send a photo, or press “Skip”."))
    if draft is not None:
        await reask(update, context, draft)


# ---------------------------------------------------------------- summary


def summary(_: Translator, draft: Draft) -> list[str]:
    answers = draft["answers"]
    by_code = {sector.code: sector.short_label for sector in sectors(_.language)}
    name = " ".join(part for part in (answers.get("first_name"), answers.get("last_name")) if part)
    none = _.plain("—")
    lines = [
        _("First name: {value}", value=name),
        _("Age: {value}", value=answers.get("age_band") or none),
        _(
            "Sectors: {value}",
            value=", ".join(by_code.get(code, code) for code in answers.get("sectors", [])),
        ),
        _("Job you aim for: {value}", value=answers.get("target_job") or none),
        _("Skills: {value}", value=", ".join(answers.get("strengths", [])) or none),
        _("Soft skills: {value}", value=", ".join(answers.get("qualities", [])) or none),
        _("Support programme: {value}", value=answers.get("programme") or none),
    ]
    if answers.get("site_name"):
        lines.append(_("Site: {value}", value=answers["site_name"]))
    lines.append(_("Constraints: {value}", value=answers.get("constraints") or none))
    lines.append(
        _("Photo: {value}", value=_.plain("yes") if answers.get("photo_file_id") else _.plain("no"))
    )
    if answers.get("wishes"):
        lines.append(_.n("{count} wish to meet", "{count} wishes to meet", len(answers["wishes"])))
    return lines


add_step(Step(AGE, ask_age, button_step(AGE, age_pressed), N_("Age")))
add_step(Step(JOB, ask_job, text_step(JOB, job_typed), N_("Job")))
for _step, _label in ((STRENGTHS, N_("Skills")), (QUALITIES, N_("Soft skills"))):
    add_step(
        Step(
            _step,
            _asker(_step),
            [own_buttons(_step, _pressed_item(_step)), *text_step(_step, _typed_item(_step))],
            _label,
        )
    )
add_step(
    Step(
        PROGRAMME, ask_programme, button_step(PROGRAMME, programme_pressed), N_("Support programme")
    )
)
add_step(
    Step(
        ELIGIBILITY,
        ask_eligibility,
        button_step(ELIGIBILITY, eligibility_pressed),
        N_("Eligibility"),
        editable=False,
    )
)
add_step(Step(SITE, ask_site, button_step(SITE, site_pressed), N_("Site")))
add_step(
    Step(
        CONSTRAINTS,
        ask_constraints,
        [own_buttons(CONSTRAINTS, no_constraints), *text_step(CONSTRAINTS, constraints_typed)],
        N_("Constraints"),
    )
)
add_step(
    Step(
        PHOTO,
        ask_photo,
        [
            own_buttons(PHOTO, photo_skipped),
            MessageHandler(filters.PHOTO, photo_sent),
            MessageHandler(~filters.COMMAND, photo_expected),
        ],
        N_("Photo"),
    )
)

FLOWS[Role.CANDIDATE.value] = (
    NAME,
    AGE,
    SECTORS,
    JOB,
    STRENGTHS,
    QUALITIES,
    PROGRAMME,
    ELIGIBILITY,
    SITE,
    CONSTRAINTS,
    PHOTO,
    WISHES,
)
SUMMARIES[Role.CANDIDATE.value] = summary


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Nothing to add: these steps run inside `signup`'s conversation."""
