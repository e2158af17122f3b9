"""The employer's questions, in the order of `FLOWS["employer"]`.

Imported for its side effect: each step adds itself to `bot.handlers.signup.STEPS`.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application

from bot.context import services, translator_for
from bot.db.models.people import Role
from bot.handlers.common import Context, reply
from bot.handlers.signup import (
    FLOWS,
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
    pressed,
    pressed_valid,
    refuse_button,
    text_step,
    typed_field,
)
from bot.i18n import N_, Translator, sectors
from bot.services.signup import SiteChoice, event_view

COMPANY = "comp"
JOB_TITLE = "title"
JOBS = "jobs"
SITES = "sites"
CAPACITY = "cap"

REMOTE = "rem"
MAX_CAPACITY = 8


# ---------------------------------------------------------------- typed answers


def _text_question(step: str, key: str, limit: int, question: str, example: str):  # type: ignore[no-untyped-def]
    async def ask_text(update: Update, context: Context, draft: Draft) -> bool:
        _ = translator_for(update)
        await reply(update, _(question) + "\n" + _(example))
        return True

    return ask_text, typed_field(step, key, limit)


_ask_company, _company_typed = _text_question(
    COMPANY,
    "company",
    SHORT_LIMIT,
    N_("What is the name of your company or organisation?"),
    N_("For example: Boulangerie Martin, Mairie de Lille."),
)
_ask_title, _title_typed = _text_question(
    JOB_TITLE,
    "job_title",
    SHORT_LIMIT,
    N_("What is your job title?"),
    N_("For example: HR manager, head chef, shop manager."),
)
_ask_jobs, _jobs_typed = _text_question(
    JOBS,
    "jobs",
    LONG_LIMIT,
    N_("Which jobs do you recruit for, or know well?"),
    N_("For example: cook, kitchen assistant, waiter."),
)


# ---------------------------------------------------------------- sites or remote


async def _sites(context: Context, draft: Draft) -> tuple[SiteChoice, ...]:
    view = await event_view(services(context).database, int(draft["event_id"]))
    return view.places if view else ()


def _sites_keyboard(draft: Draft, places: tuple[SiteChoice, ...], _: Translator) -> object:
    chosen = set(draft["answers"].get("accepted_site_ids") or [])
    buttons = [
        [choice(checked(site.name[:40], site.id in chosen), draft, SITES, site.id)]
        for site in places
    ]
    remote = bool(draft["answers"].get("remote"))
    buttons.append([choice(checked(_.plain("Remote (video)"), remote), draft, SITES, REMOTE)])
    buttons.append([choice("➡️ " + _.plain("Done"), draft, SITES, "ok")])
    return InlineKeyboardMarkup(buttons)


async def ask_sites(update: Update, context: Context, draft: Draft) -> bool:
    if draft.get("event_id") is None:
        return False
    _ = translator_for(update)
    places = await _sites(context, draft)
    await reply(
        update,
        _("Where can you come? Choose one or more, then press “Done”."),
        reply_markup=_sites_keyboard(draft, places, _),
    )
    return True


async def site_pressed(update: Update, context: Context) -> str | int | None:
    got = await pressed(update, context, SITES)
    if got is None:
        return None
    draft, values = got
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    places = await _sites(context, draft)
    by_id = {str(site.id): site for site in places}
    chosen: list[int] = list(draft["answers"].get("accepted_site_ids") or [])
    remote = bool(draft["answers"].get("remote"))
    if values == ["ok"]:
        chosen = [site_id for site_id in chosen if str(site_id) in by_id]
        if not chosen and not remote:
            await query.answer(_.plain("Choose at least one site."), show_alert=True)
            return None
        await query.answer()
        names = [by_id[str(site_id)].name for site_id in chosen]
        if remote:
            names.append(_.plain("Remote (video)"))
        await close_choice(update, ", ".join(names))
        draft["answers"]["accepted_site_ids"] = chosen
        return await advance(update, context, draft, SITES)
    if values == [REMOTE]:
        draft["answers"]["remote"] = not remote
    elif len(values) == 1 and values[0] in by_id:
        site_id = by_id[values[0]].id
        chosen = [i for i in chosen if i != site_id] if site_id in chosen else [*chosen, site_id]
        draft["answers"]["accepted_site_ids"] = chosen
    else:
        await refuse_button(update, context)
        return None
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=_sites_keyboard(draft, places, _))
    return None


# ---------------------------------------------------------------- how many candidates


async def ask_capacity(update: Update, context: Context, draft: Draft) -> bool:
    _ = translator_for(update)
    numbers = [choice(str(n), draft, CAPACITY, n) for n in range(1, MAX_CAPACITY + 1)]
    keyboard = InlineKeyboardMarkup([numbers[:4], numbers[4:]])
    await reply(update, _("How many candidates can you meet?"), reply_markup=keyboard)
    return True


async def capacity_pressed(update: Update, context: Context) -> str | int | None:
    allowed = {str(n) for n in range(1, MAX_CAPACITY + 1)}
    got = await pressed_valid(
        update, context, CAPACITY, lambda values: len(values) == 1 and values[0] in allowed
    )
    if got is None:
        return None
    draft, values = got
    await close_choice(update, values[0])
    draft["answers"]["max_candidates"] = int(values[0])
    return await advance(update, context, draft, CAPACITY)


# ---------------------------------------------------------------- summary


def summary(_: Translator, draft: Draft) -> list[str]:
    answers = draft["answers"]
    by_code = {sector.code: sector.short_label for sector in sectors(_.language)}
    name = " ".join(part for part in (answers.get("first_name"), answers.get("last_name")) if part)
    none = _.plain("—")
    places = [str(site_id) for site_id in answers.get("accepted_site_ids", [])]
    where = _.n("{count} site", "{count} sites", len(places)) if places else none
    if answers.get("remote"):
        where += " + " + _("remote")
    return [
        _("Name: {value}", value=name),
        _("Company: {value}", value=answers.get("company") or none),
        _("Job title: {value}", value=answers.get("job_title") or none),
        _(
            "Sectors: {value}",
            value=", ".join(by_code.get(code, code) for code in answers.get("sectors", [])),
        ),
        _("Jobs: {value}", value=answers.get("jobs") or none),
        _("Where: {value}", value=where),
        _("Candidates you can meet: {value}", value=answers.get("max_candidates") or none),
    ]


add_step(Step(COMPANY, _ask_company, text_step(COMPANY, _company_typed), N_("Company")))
add_step(Step(JOB_TITLE, _ask_title, text_step(JOB_TITLE, _title_typed), N_("Job title")))
add_step(Step(JOBS, _ask_jobs, text_step(JOBS, _jobs_typed), N_("Jobs")))
add_step(Step(SITES, ask_sites, button_step(SITES, site_pressed), N_("Sites")))
add_step(Step(CAPACITY, ask_capacity, button_step(CAPACITY, capacity_pressed), N_("Candidates")))

FLOWS[Role.EMPLOYER.value] = (NAME, COMPANY, JOB_TITLE, SECTORS, JOBS, SITES, CAPACITY, WISHES)
SUMMARIES[Role.EMPLOYER.value] = summary


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Nothing to add: these steps run inside `signup`'s conversation."""
