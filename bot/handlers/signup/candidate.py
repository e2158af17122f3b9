"""The candidate's sign-up, question by question, in the order they are asked."""

from __future__ import annotations

import csv
import html
from functools import cache

from bot.context import services
from bot.db.models.events import RegistrationStatus
from bot.engine.conversation import END
from bot.engine.steps import (
    AGAIN,
    OLDER,
    At,
    Buttons,
    Choices,
    Flow,
    Goto,
    Option,
    Outcome,
    Photo,
    Step,
    Text,
)
from bot.handlers.signup.draft import ITEM_LIMIT, LONG_LIMIT, SHORT_LIMIT, SignUpDraft
from bot.handlers.signup.shared import (
    NAME_STEP,
    SECTORS_STEP,
    WISHES_STEP,
    confirm,
    full_name,
    save,
    sector_names,
    summary_text,
)
from bot.i18n import LOCALES_DIR, N_
from bot.services.signup import EventView, Question, event_view

Here = At[SignUpDraft]
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


async def _event(at: Here) -> EventView | None:
    if at.draft.event_id is None:
        return None
    return await event_view(services(at.context).database, at.draft.event_id)


# ---------------------------------------------------------------- prompts and options


def _ages(at: Here) -> list[Option]:
    return [Option(str(index), band, answer=band) for index, band in enumerate(AGE_BANDS)]


def _job_prompt(at: Here) -> str:
    _ = at.tr
    return (
        _("What job are you aiming for?")
        + "\n"
        + _("For example: care assistant, cook, shop assistant.")
    )


def _items(kind: str) -> Choices[SignUpDraft]:
    """Up to three suggestions ticked, or written: skills and soft skills."""

    def options(at: Here) -> list[Option]:
        labels = suggestions(kind, at.tr.language)
        offered = [Option(str(index), label, answer=label) for index, label in enumerate(labels)]
        # What the person wrote is a button too, ticked, so it can be unticked.
        chosen: list[str] = getattr(at.draft.answers, kind)
        written = [item for item in chosen if item not in labels]
        return [
            *offered,
            *(Option(f"w{index}", item, answer=item) for index, item in enumerate(written)),
        ]

    return Choices(
        options,
        done=N_("That's all"),
        done_value="done",
        at_least_one=N_("Choose or write at least one."),
        at_most=MAX_ITEMS,
        typed_limit=ITEM_LIMIT,
        per_row=2,
        redraw_text=True,
    )


def _strengths_prompt(at: Here) -> str:
    _ = at.tr
    text = _("What are your skills? What do you know how to do?")
    return _with_choice(at, text, at.draft.answers.strengths)


def _qualities_prompt(at: Here) -> str:
    _ = at.tr
    text = _("What are your qualities at work (soft skills)?")
    return _with_choice(at, text, at.draft.answers.qualities)


def _with_choice(at: Here, text: str, chosen: list[str]) -> str:
    _ = at.tr
    text += "\n" + _("Choose up to 3, or write your own. Then press “That's all”.")
    if chosen:
        text += "\n\n" + _("Chosen: {items}", items=", ".join(chosen))
    return text


def _programmes(at: Here) -> list[Option]:
    programmes = services(at.context).settings.programmes
    unsure = at.tr.plain("I don't know")
    return [
        *(
            Option(str(index), name[:30], answer=name, echo=name)
            for index, name in enumerate(programmes)
        ),
        Option("unsure", unsure, answer=unsure, echo=unsure),  # the team will tell
    ]


def _programme_prompt(at: Here) -> str:
    _ = at.tr
    return (
        _("Which support programme are you following?")
        + "\n"
        + _("(Only the organising team sees this answer.)")
    )


async def _pending(at: Here) -> list[Question]:
    view = await _event(at)
    answered = at.draft.answers.eligibility
    return [q for q in view.questions if str(q.id) not in answered] if view else []


async def _eligibility_options(at: Here) -> list[Option]:
    pending = await _pending(at)
    if not pending:
        return []
    question = str(pending[0].id)
    return [
        Option(question, at.tr.plain("Yes"), detail="1"),
        Option(question, at.tr.plain("No"), detail="0"),
    ]


async def _eligibility_prompt(at: Here) -> str:
    pending = await _pending(at)
    return html.escape(pending[0].text) if pending else ""


async def _eligibility_answered(at: Here, option: Option) -> Outcome:
    pending = await _pending(at)
    question, answer = pending[0], option.detail == "1"
    at.draft.answers.eligibility = {**at.draft.answers.eligibility, str(question.id): answer}
    if answer != question.admitting_answer:
        return await _not_eligible(at, question.text)
    return AGAIN if len(pending) > 1 else None


async def _not_eligible(at: Here, question: str) -> Outcome:
    """Stored as `ineligible` (the person consented), and told why, kindly."""
    _ = at.tr
    saved = await save(at, RegistrationStatus.INELIGIBLE)
    if isinstance(saved, str):
        return Goto(saved)
    await at.reply(
        _("Thank you for your answers.")
        + "\n"
        + _(
            "This event is for people who answer the other way to: “{question}”.",
            question=question,
        )
        + "\n"
        + _("So you cannot sign up for it this time. Your adviser can suggest other events."),
    )
    return END


async def _one_site_or_none(at: Here) -> bool:
    """Nothing to ask with one site (kept as the answer) or none."""
    view = await _event(at)
    if view is None:
        return True
    if len(view.places) > 1:
        return False
    at.draft.answers.site_id = view.places[0].id if view.places else None
    return True


async def _sites(at: Here) -> list[Option]:
    view = await _event(at)
    places = view.places if view else ()
    return [Option(str(site.id), site.name[:40], echo=site.name) for site in places]


def _site_chosen(at: Here, option: Option) -> Outcome:
    at.draft.answers.site_id = int(option.value)
    at.draft.answers.site_name = option.echo
    return None


def _constraints_prompt(at: Here) -> str:
    _ = at.tr
    return (
        _(
            "Is there anything the team should know? For example: childcare hours, "
            "accessibility, transport."
        )
        + "\n"
        + _("(Only the organising team sees this answer.)")
    )


def _nothing_to_report(at: Here) -> list[Option]:
    return [Option("none", at.tr.plain("Nothing to report"))]


def _no_constraints(at: Here, option: Option) -> Outcome:
    at.draft.answers.constraints = None
    return None


def _photo_prompt(at: Here) -> str:
    _ = at.tr
    return (
        _("Would you like to add a photo to your portrait card? Send it now.")
        + "\n"
        + _("It is optional: employers will see it on your card.")
    )


def _skip(at: Here) -> list[Option]:
    return [Option("skip", at.tr.plain("Skip"))]


def _no_photo(at: Here, option: Option) -> Outcome:
    at.draft.answers.photo_file_id = None
    return None


async def _photo_sent(at: Here, file_id: str) -> Outcome:
    _ = at.tr
    at.draft.answers.photo_file_id = file_id
    await at.reply(_("Thank you, your photo is added."))
    return None


# ---------------------------------------------------------------- summary


def summary(at: Here) -> list[str]:
    _ = at.tr
    answers = at.draft.answers
    none = _.plain("—")
    lines = [
        _("First name: {value}", value=full_name(at.draft)),
        _("Age: {value}", value=answers.age_band or none),
        _("Sectors: {value}", value=sector_names(at)),
        _("Job you aim for: {value}", value=answers.target_job or none),
        _("Skills: {value}", value=", ".join(answers.strengths) or none),
        _("Soft skills: {value}", value=", ".join(answers.qualities) or none),
        _("Support programme: {value}", value=answers.programme or none),
    ]
    if answers.site_name:
        lines.append(_("Site: {value}", value=answers.site_name))
    lines.append(_("Constraints: {value}", value=answers.constraints or none))
    photo = _.plain("yes") if answers.photo_file_id else _.plain("no")
    lines.append(_("Photo: {value}", value=photo))
    if answers.wishes:
        lines.append(_.n("{count} wish to meet", "{count} wishes to meet", len(answers.wishes)))
    return summary_text(at, lines)


# ---------------------------------------------------------------- the flow

FLOW = Flow[SignUpDraft](
    "candidate",
    steps=(
        NAME_STEP,
        Step(
            "age",
            N_("How old are you?"),
            Buttons(_ages, per_row=3),
            field="answers.age_band",
            label=N_("Age"),
        ),
        SECTORS_STEP,
        Step(
            "job",
            _job_prompt,
            Text(SHORT_LIMIT),
            field="answers.target_job",
            label=N_("Job"),
        ),
        Step(
            "str",
            _strengths_prompt,
            _items("strengths"),
            field="answers.strengths",
            label=N_("Skills"),
        ),
        Step(
            "qual",
            _qualities_prompt,
            _items("qualities"),
            field="answers.qualities",
            label=N_("Soft skills"),
        ),
        Step(
            "prg",
            _programme_prompt,
            Buttons(_programmes),
            field="answers.programme",
            label=N_("Support programme"),
        ),
        Step(
            "elig",
            _eligibility_prompt,
            Buttons(
                _eligibility_options,
                answer=_eligibility_answered,
                unknown=OLDER,
            ),
            field="answers.eligibility",
        ),
        Step(
            "site",
            N_("Which site is easiest for you to get to?"),
            Buttons(_sites, answer=_site_chosen, per_row=1),
            field="answers.site_id",
            label=N_("Site"),
            skip=_one_site_or_none,
        ),
        Step(
            "cons",
            _constraints_prompt,
            (Text(LONG_LIMIT), Buttons(_nothing_to_report, answer=_no_constraints)),
            field="answers.constraints",
            label=N_("Constraints"),
            required=False,
        ),
        Step(
            "photo",
            _photo_prompt,
            (
                Buttons(_skip, answer=_no_photo),
                Photo(N_("Please send a photo, or press “Skip”."), answer=_photo_sent),
            ),
            field="answers.photo_file_id",
            label=N_("Photo"),
            required=False,
        ),
        WISHES_STEP,
    ),
    summary=summary,
    confirm=confirm,
)
