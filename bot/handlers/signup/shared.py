"""What both sign-ups share: consent, first name, sectors, wishes, the summary, and storing.

Each is a `Step` of `bot.engine.steps`; the candidate's and the employer's flows list them
among their own (`candidate.py`, `employer.py`).
"""

from __future__ import annotations

from telegram import Update

from bot.context import services, translator_for
from bot.db.base import utcnow
from bot.db.models.events import RegistrationStatus
from bot.db.models.people import Role
from bot.engine.conversation import END
from bot.engine.steps import (
    AGAIN,
    At,
    Buttons,
    Choices,
    Goto,
    Option,
    Outcome,
    Refused,
    Step,
    Text,
)
from bot.handlers.common import Context, identity_of, reply
from bot.handlers.signup.draft import (
    CONSENT,
    DRAFTS,
    NAME,
    NAME_LIMIT,
    SECTORS,
    WISHES,
    Mode,
    SignUpDraft,
    service_answers,
)
from bot.i18n import N_, Translator, likely_sectors, sectors
from bot.portrait import PhotoRejected, normalise_photo
from bot.services.signup import SignupResult, complete_signup, event_view, meetable_people
from bot.text import name_problem, normalise

Here = At[SignUpDraft]


def clean(text: str | None) -> str:
    return normalise(text)


# ---------------------------------------------------------------- consent


def consent_text(_: Translator, role: str, months: int) -> str:
    what = (
        _(
            "• Stored: your first name, age band, the sectors and job you aim for, your skills "
            "and qualities, your support programme, your answers to the event's questions, your "
            "site, your constraints and, if you wish, a photo."
        )
        if role == Role.CANDIDATE
        else _(
            "• Stored: your name, company, job title, sectors, the jobs you recruit for, your "
            "sites and how many candidates you can meet."
        )
    )
    who = (
        _(
            "• Who sees what: the organising team sees everything. The employers of the event "
            "see only your portrait card (first name, photo, job, skills, qualities, sectors). "
            "Your constraints and your programme stay with the team."
        )
        if role == Role.CANDIDATE
        else _(
            "• Who sees what: the organising team sees everything. The candidates you meet "
            "see your name, company and job title."
        )
    )
    return "\n".join(
        [
            _("<b>Before we start: your data</b>"),
            what,
            who,
            _(
                "• How long: until {months} months after your last event, then it is erased.",
                months=months,
            ),
            _("• Your rights: /mesdonnees sends you a copy, /supprimer erases everything."),
            "",
            _("Do you agree?"),
        ]
    )


def short_consent(_: Translator, role: str, months: int) -> str:
    """Three short lines; the details are one button away ("En savoir plus")."""
    seen_by = (
        _("Employers see only your portrait card.")
        if role == Role.CANDIDATE
        else _("The candidates you meet see your name and company.")
    )
    return "\n".join(
        [
            _("<b>Before we start</b>"),
            _("We keep your answers to prepare the meeting.") + " " + seen_by,
            _("Everything is erased {months} months after your last event.", months=months),
            _("Do you agree?"),
        ]
    )


def _consent_prompt(at: Here) -> str:
    _ = at.tr
    if at.draft.mode is Mode.STAFF:
        text = consent_text(at.tr, at.draft.role, _months(at))
        return text + "\n\n" + _("<b>Has the person read this and agreed?</b>")
    return short_consent(at.tr, at.draft.role, _months(at))


def _months(at: Here) -> int:
    """The configured retention, said in the consent texts."""
    return services(at.context).settings.retention_months


def _consent_options(at: Here) -> list[Option]:
    _ = at.tr
    staff = at.draft.mode is Mode.STAFF
    return [
        Option(
            "yes",
            _.plain("Yes, they agree") if staff else _.plain("I agree"),
            echo=_.plain("I agree"),
        ),
        Option("no", _.plain("No") if staff else _.plain("I refuse"), echo=_.plain("I refuse")),
        *([] if staff else [Option("more", _.plain("Learn more"), echo=_.plain("Learn more"))]),
    ]


async def _consent_given(at: Here, option: Option) -> Outcome:
    _ = at.tr
    if option.value == "yes":
        at.draft.consent_at = utcnow()
        return None  # the flow's first question
    if option.value == "more":
        await at.reply(consent_text(at.tr, at.draft.role, _months(at)))
        return AGAIN
    if at.draft.mode is Mode.STAFF:
        await at.reply(_("Without the person's agreement, nothing is stored."))
        return END
    await at.reply(
        _("All right, nothing has been stored.")
        + "\n"
        + _("If you change your mind, open the invitation link again or type /start.")
    )
    return END


CONSENT_STEP = Step[SignUpDraft](
    CONSENT, _consent_prompt, Buttons(_consent_options, answer=_consent_given)
)


# ---------------------------------------------------------------- first name


def _name_prompt(at: Here) -> str:
    _ = at.tr
    if at.draft.mode is Mode.STAFF:
        text = _("What is the person's first name?")
    else:
        text = _("What is your first name?")
    return text + "\n" + _("Your last name is optional: write “First name, Last name”.")


def _its_me(at: Here) -> list[Option]:
    user = at.update.effective_user
    if at.draft.mode is not Mode.SIGNUP or user is None or not user.first_name:
        return []
    label = at.tr.plain("It's me: {name}", name=user.first_name[:30])
    first_name = clean(user.first_name)[:NAME_LIMIT] or "?"
    return [Option("tg", label, answer=first_name, echo=first_name)]


def _name_from_telegram(at: Here, option: Option) -> Outcome:
    at.draft.answers.first_name = option.kept
    return None


NAME_PROBLEMS = {
    "greeting": N_("Hello! Please write only your first name, for example: Amina."),
    "digits": N_("A first name has no digits. Please write it, for example: Amina."),
    "sentence": N_("Please write only your first name, for example: Amina."),
}


def _name_typed(at: Here, text: str) -> Outcome:
    first, _comma, last = text.partition(",")
    if not first.strip():
        return Refused(N_("Please write your first name first."))
    problem = name_problem(first.strip())
    if problem is not None:
        return Refused(NAME_PROBLEMS[problem])
    at.draft.answers.first_name = first.strip()
    at.draft.answers.last_name = last.strip() or None
    return None


NAME_STEP = Step[SignUpDraft](
    NAME,
    _name_prompt,
    (Buttons(_its_me, answer=_name_from_telegram), Text(NAME_LIMIT, answer=_name_typed)),
    field="answers.first_name",
    label=N_("First name"),
)


# ---------------------------------------------------------------- sectors


def _sectors_prompt(at: Here) -> str:
    _ = at.tr
    if at.draft.role == Role.CANDIDATE:
        return _("Which sectors interest you? Choose one or more, then press “Done”.")
    return _("Which sectors do you work in? Choose one or more, then press “Done”.")


SHOWN_SECTORS = 6
MORE_SECTORS = "more"


def _sector_options(at: Here) -> list[Option]:
    """The 6 most likely sectors for the job given (or the most common), then the others
    behind "Autres secteurs": 14 buttons are too many to scroll on a small phone."""
    answers = at.draft.answers
    job = answers.target_job if at.draft.role == Role.CANDIDATE else answers.job_title
    ranked = likely_sectors(job, at.tr.language)
    chosen = set(answers.sectors)
    shown = ranked if at.draft.all_sectors else ranked[:SHOWN_SECTORS]
    shown += [sector for sector in ranked if sector.code in chosen and sector not in shown]
    options = [Option(sector.code, sector.short_label) for sector in shown]
    if len(shown) < len(ranked):
        options.append(Option(MORE_SECTORS, "➕ " + at.tr.plain("Other sectors")))
    return options


def _chosen_sectors(draft: SignUpDraft) -> list[str]:
    return list(draft.answers.sectors)


def _choose_sectors(draft: SignUpDraft, chosen: list[str]) -> None:
    """ "Autres secteurs" is a button among the sectors: it shows them all, it is not one."""
    if MORE_SECTORS in chosen:
        draft.all_sectors = True
    draft.answers.sectors = [code for code in chosen if code != MORE_SECTORS]


SECTORS_STEP = Step[SignUpDraft](
    SECTORS,
    _sectors_prompt,
    Choices(
        _sector_options,
        at_least_one=N_("Choose at least one sector."),
        chosen=_chosen_sectors,
        choose=_choose_sectors,
    ),
    field="answers.sectors",
    label=N_("Sectors"),
)


# ---------------------------------------------------------------- wishes


async def _wish_options(at: Here) -> list[Option]:
    if at.draft.event_id is None:
        return []
    other = Role.EMPLOYER if at.draft.role == Role.CANDIDATE else Role.CANDIDATE
    people = await meetable_people(services(at.context).database, at.draft.event_id, other)
    return [Option(str(item.person_id), item.label) for item in people[:20]]


def _wishes_prompt(at: Here) -> str:
    _ = at.tr
    text = (
        _("Would you like to meet some of these employers? Choose any, then press “Done”.")
        if at.draft.role == Role.CANDIDATE
        else _("Would you like to meet some of these candidates? Choose any, then press “Done”.")
    )
    return text + "\n" + _("It is a wish: the team will do its best.")


WISHES_STEP = Step[SignUpDraft](
    WISHES,
    _wishes_prompt,
    Choices(_wish_options, nothing=N_("No preference")),
    field="answers.wishes",
    label=N_("Wishes"),
    required=False,
)


# ---------------------------------------------------------------- summary, storing


def summary_text(at: Here, lines: list[str]) -> list[str]:
    """The summary's frame around a flow's own lines."""
    _ = at.tr
    return [_("<b>Please check your answers</b>"), *lines, "", _("Is everything right?")]


def full_name(draft: SignUpDraft) -> str:
    answers = draft.answers
    return " ".join(part for part in (answers.first_name, answers.last_name) if part)


def sector_names(at: Here) -> str:
    by_code = {sector.code: sector.short_label for sector in sectors(at.tr.language)}
    return ", ".join(by_code.get(code, code) for code in at.draft.answers.sectors)


async def photo_of(context: Context, draft: SignUpDraft) -> bytes | None:
    file_id = draft.answers.photo_file_id
    if not file_id:
        return None
    telegram_file = await context.bot.get_file(file_id)
    try:
        return normalise_photo(bytes(await telegram_file.download_as_bytearray()))
    except PhotoRejected:
        return None


async def save(at: Here, status: RegistrationStatus) -> SignupResult | str:
    """Store everything at once, or the state of the question still unanswered."""
    answers = service_answers(at.draft)
    if isinstance(answers, str):
        return answers
    assert at.draft.event_id is not None
    return await complete_signup(
        services(at.context).database,
        identity=None if at.draft.mode is Mode.STAFF else identity_of(at.update),
        event_id=at.draft.event_id,
        answers=answers,
        consent_at=at.draft.consent_at,
        status=status,
        photo=await photo_of(at.context, at.draft),
        recorded_by=at.draft.recorded_by,
    )


async def confirm(at: Here) -> Outcome:
    """Store everything at once; the event may have closed while the person was answering."""
    query = at.update.callback_query
    assert query is not None
    _ = at.tr
    draft = at.draft
    view = (
        await event_view(services(at.context).database, draft.event_id)
        if draft.event_id is not None
        else None
    )
    if view is None or not view.is_open:
        await query.answer(_.plain("Sign-ups for this event are closed."), show_alert=True)
        await at.close_choice()
        await at.reply(_("Sign-ups for this event closed in the meantime. Nothing was stored."))
        return END
    await query.answer()
    await at.close_choice(_.plain("That's right"))
    result = await save(at, RegistrationStatus.REGISTERED)
    if isinstance(result, str):
        return Goto(result)
    name = draft.answers.first_name
    if draft.mode is Mode.STAFF:
        link = f"https://t.me/{at.context.bot.username}?start={result.claim_code}"
        await at.reply(
            _("Done: {name} is registered for “{event}”.", name=name, event=view.name)
            + "\n\n"
            + _(
                "Give this personal link to the person. It works once and links their Telegram "
                "account to this registration:"
            )
            + f"\n{link}",
        )
        return END
    await at.reply(
        _("Thank you {name}, you are signed up for “{event}”!", name=name, event=view.name)
        + "\n"
        + _("You will receive your convocation (where, when, with whom) before the event.")
        + "\n"
        + _("Type /profil to see your portrait card."),
    )
    return END


async def lost(update: Update, context: Context) -> int:
    """The draft vanished (erased data, an unreadable old draft): end without guessing."""
    _ = translator_for(update)
    DRAFTS.drop(context)
    if update.callback_query is not None:
        await update.callback_query.answer(
            _("This sign-up is no longer in progress."), show_alert=True
        )
        return END
    await reply(update, _("This sign-up is no longer in progress. Type /start to begin again."))
    return END
