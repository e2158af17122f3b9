"""After a meeting: the presses of "did it happen?" (`sv:` buttons, sent by the scheduler),
then a candidate's feedback or an employer's card, as one conversation ("feedback").

- "Yes": a candidate rates the room (4 faces), says what helped most, may write a comment
  ("Passer" skips it), and it is stored at once: at most 3 taps. An employer fills a card
  about the candidate met (five themes, a strength, a tip, what happens next), checks it on
  a summary and confirms; `review.card_completed` then decides who sees it.
- "No, the person did not come": stored; a candidate with several employers in the room
  names who did not come (one tap each, then "C'est tout"). "I could not come": stored.
  Both end with a thanks. "I prefer not to answer" closes the questionnaire.

Everything is checked on the server at each press (`bot.services.aftercare.meeting`): a
button of someone else, of a questionnaire answered, declined or closed changes nothing and
says why. A person may have several questionnaires open (rooms, candidates met): pressing
another one's button sets the current draft aside, and pressing "Yes" again on it later
carries on where it stopped (also after the conversation timed out). Drafts live in the
database, so a restart changes nothing.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationError
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
)

from bot.callbacks import FeedbackAnswer, FeedbackAnswerPair, SurveyAnswer, prefix_pattern
from bot.context import services, translator_for
from bot.engine.conversation import END, Conversation
from bot.engine.steps import (
    At,
    Buttons,
    Choices,
    Drafts,
    Flow,
    FlowDraft,
    Form,
    Option,
    Outcome,
    Step,
    Text,
    Wire,
    close_choice,
)
from bot.handlers.common import Context, reply, user_conversation
from bot.i18n import N_, Translator
from bot.outbox import wake
from bot.services.aftercare import meeting
from bot.services.aftercare.meeting import Card, Refusal
from bot.services.aftercare.questions import MEETING_LABELS, MeetingCode

CONVERSATION_NAME = "feedback"  # stored with people's steps: never rename
DRAFT_KEY = "feedback"
PARKED_KEY = "feedback_parked"  # drafts set aside, by questionnaire id
DONE_KEY = "feedback_done"  # nonces of finished drafts: their buttons say "already answered"
KEEP_AT_MOST = 10
TEXT_LIMIT = 500

# Conversation states, stored: never rename them.
WHO = "who"
RATING = "rating"
HELPED = "helped"
COMMENT = "comment"
CV = "cv"
ORAL = "oral"
BODY = "body"
ATTITUDE = "attitude"
SKILLS = "skills"
STRENGTH = "strength"
TIP = "tip"
NEXT = "next"
SUMMARY = "sum"

SKIP = "skip"
UNKNOWN_LEVEL = "0"  # "Je ne sais pas": stored as NULL

REFUSALS = {
    Refusal.UNKNOWN: N_("This button is no longer valid."),
    Refusal.NOT_YOURS: N_("This button is not for you."),
    Refusal.ANSWERED: N_("You have already answered, thank you."),
    Refusal.DECLINED: N_("You chose not to answer these questions. Thank you all the same."),
    Refusal.CLOSED: N_("These questions are closed. Thank you all the same."),
}
ALREADY_THIS = N_("You have already answered this question. Let's carry on.")
CARRY_ON = N_("Let's carry on where we were.")
ASIDE = N_("I have put these questions aside. To carry on, press “Yes” again under the question.")
NOT_IN_PROGRESS = N_("These questions are no longer in progress. Thank you.")
THANKS_ABSENT = N_("Thank you for telling us. The team will take it into account.")
THANKS_SELF = N_("Thank you for telling us. We hope to see you at a next meeting.")
THANKS_DECLINED = N_("Noted: we will not ask you about this meeting again. Thank you.")
THANKS_CANDIDATE = N_("Thank you for your answers! They help the team prepare the next meetings.")
THANKS_EMPLOYER = N_("Thank you for this card! It will help {name} move forward.")
HINT = N_("💡 Kindly: what the person did well, then one thing to try next time.")

# Rating 1–4: a face and a word on each button.
FACES: tuple[tuple[str, str], ...] = (
    ("😞", N_("Not useful")),
    ("😐", N_("A little")),
    ("🙂", N_("Useful")),
    ("😀", N_("Very useful")),
)
HELPED_LABELS: dict[str, str] = {
    "cv": N_("CV and letter"),
    "pitch": N_("Introducing myself"),
    "manner": N_("My way of speaking and standing"),
    "qualities": N_("My qualities"),
    "contacts": N_("Contacts"),
}
LEVELS: dict[str, str] = {
    "1": N_("Needs work"),
    "2": N_("Fair"),
    "3": N_("Good"),
    "4": N_("Very good"),
    UNKNOWN_LEVEL: N_("I don't know"),
}
NEXT_LABELS: dict[str, str] = {
    "none": N_("No follow-up"),
    "later": N_("Useful contact for later"),
    "interview": N_("Interview planned"),
    "offer": N_("Offer made"),
}
# The five themes of "Ose ton projet": state, draft field, question, summary label.
THEMES: tuple[tuple[str, str, str, str], ...] = (
    (CV, "cv", N_("CV and cover letter"), N_("CV and letter")),
    (ORAL, "oral", N_("Speaking: clear, easy to follow"), N_("Speaking clearly")),
    (
        BODY,
        "non_verbal",
        N_("Body language: posture, eye contact, gestures"),
        N_("Posture and eye contact"),
    ),
    (ATTITUDE, "soft_skills", N_("Attitude: politeness, listening, motivation"), N_("Attitude")),
    (SKILLS, "technical", N_("Skills for the job"), N_("Job skills")),
)


class FeedbackDraft(FlowDraft):
    """One questionnaire's answers so far (`flow`: naming who was absent, a candidate's
    feedback or an employer's card)."""

    VERSION: ClassVar[int] = 1

    flow: Literal["who", "cand", "emp"]
    questionnaire_id: int
    question_message_id: int | None = None  # "did it happen?", pressed
    about: str = ""  # the candidate's first name (employer card)
    # person id -> label, for a candidate naming who did not come
    employers: dict[str, str] = Field(default_factory=dict)
    absent: list[str] = Field(default_factory=list)
    rating: str | None = None
    helped: str | None = None
    comment: str | None = None
    cv: str | None = None
    oral: str | None = None
    non_verbal: str | None = None
    soft_skills: str | None = None
    technical: str | None = None
    strength: str | None = None
    tip: str | None = None
    next_step: str | None = None


DRAFTS = Drafts(DRAFT_KEY, FeedbackDraft)
Here = At[FeedbackDraft]


def _refusal(_: Translator, refusal: Refusal) -> str:
    return _.plain(REFUSALS[refusal])


async def _finished(update: Update, context: Context, draft: FeedbackDraft) -> None:
    """The questionnaire is over: its question loses its buttons, and the nonce is kept so
    that a late press of the draft's buttons says "already answered"."""
    chat = update.effective_chat
    if chat is not None and draft.question_message_id is not None:
        # TelegramError: already without buttons, or too old to edit
        with contextlib.suppress(TelegramError):
            await context.bot.edit_message_reply_markup(
                chat.id, draft.question_message_id, reply_markup=None
            )
    assert context.user_data is not None
    done = [nonce for nonce in context.user_data.get(DONE_KEY, []) if nonce != draft.nonce]
    context.user_data[DONE_KEY] = [*done, draft.nonce][-KEEP_AT_MOST:]
    _unpark(context, draft.questionnaire_id)


def _park(context: Context, draft: FeedbackDraft) -> None:
    assert context.user_data is not None
    parked = dict(context.user_data.get(PARKED_KEY, {}))
    parked[str(draft.questionnaire_id)] = draft.model_dump(mode="json")
    context.user_data[PARKED_KEY] = dict(list(parked.items())[-KEEP_AT_MOST:])


def _unpark(context: Context, questionnaire_id: int) -> FeedbackDraft | None:
    if context.user_data is None:
        return None
    parked = dict(context.user_data.get(PARKED_KEY, {}))
    data = parked.pop(str(questionnaire_id), None)
    if parked:
        context.user_data[PARKED_KEY] = parked
    else:
        context.user_data.pop(PARKED_KEY, None)
    if not isinstance(data, dict):
        return None
    try:
        return FeedbackDraft.model_validate(data)
    except ValidationError:
        return None


# ---------------------------------------------------------------- who did not come


def _who_options(at: Here) -> list[Option]:
    return [Option(key, name[:40]) for key, name in at.draft.employers.items()]


WHO_STEP = Step[FeedbackDraft](
    WHO,
    N_("Who did not come? Press each name, then “That's all”."),
    Choices(_who_options, done=N_("That's all"), at_least_one=N_("Choose at least one person.")),
    field="absent",
)


# ---------------------------------------------------------------- a candidate's feedback


def _rating_options(at: Here) -> list[Option]:
    return [
        Option(str(number), f"{face} {at.tr.plain(word)}")
        for number, (face, word) in enumerate(FACES, start=1)
    ]


def _helped_options(at: Here) -> list[Option]:
    return [Option(code, at.tr.plain(label)) for code, label in HELPED_LABELS.items()]


def _comment_prompt(at: Here) -> str:
    _ = at.tr
    low = at.draft.rating in ("1", "2")
    question = _("What could have helped you?") if low else _("What did you like?")
    return question + "\n" + _("Write a few words, or press “Skip”.")


def _skip_option(at: Here) -> list[Option]:
    return [Option(SKIP, at.tr.plain("Skip"))]


def _skipped(at: Here, option: Option) -> Outcome:
    at.draft.comment = None
    return None


CANDIDATE_FLOW = Flow[FeedbackDraft](
    "cand",
    steps=(
        Step(
            RATING,
            N_("Was this meeting useful to you?"),
            Buttons(_rating_options, per_row=2),
            field="rating",
        ),
        Step(
            HELPED, N_("What helped you most?"), Buttons(_helped_options, per_row=1), field="helped"
        ),
        Step(
            COMMENT,
            _comment_prompt,
            (Buttons(_skip_option, answer=_skipped), Text(TEXT_LIMIT)),
            field="comment",
            required=False,
        ),
    ),
    summary=lambda at: [],  # never shown: the last answer stores it all
    confirm=lambda at: _ended(at),
)


async def _ended(at: Here) -> Outcome:
    return END


async def _store_candidate(at: Here) -> Outcome:
    _ = at.tr
    draft = at.draft
    refusal = await meeting.save_candidate_feedback(
        services(at.context).database,
        draft.questionnaire_id,
        _telegram_id(at.update),
        rating=int(draft.rating or 0),
        helped=draft.helped,
        comment=draft.comment,
    )
    await at.reply(_(REFUSALS[refusal]) if refusal else _(THANKS_CANDIDATE))
    await _finished(at.update, at.context, draft)
    return END


async def _store_absent(at: Here) -> Outcome:
    _ = at.tr
    refusal = await meeting.set_absent(
        services(at.context).database,
        at.draft.questionnaire_id,
        _telegram_id(at.update),
        [int(key) for key in at.draft.absent if key.isdigit()],
    )
    await at.reply(_(REFUSALS[refusal]) if refusal else _(THANKS_ABSENT))
    await _finished(at.update, at.context, at.draft)
    return END


# ---------------------------------------------------------------- an employer's card


def _level_options(at: Here) -> list[Option]:
    return [Option(code, at.tr.plain(label)) for code, label in LEVELS.items()]


def _theme_prompt(number: int, question: str) -> Any:
    def prompt(at: Here) -> str:
        _ = at.tr
        lines = []
        if number == 1:
            lines.append(_("A short card about {name}: one tap per line.", name=at.draft.about))
        lines.append(
            _("{name} – {number}/5", name=at.draft.about, number=number)
            + "\n<b>"
            + _(question)
            + "</b>"
        )
        return "\n".join(lines)

    return prompt


def _strength_prompt(at: Here) -> str:
    _ = at.tr
    return (
        _("A strength for {name}: what went well? One sentence is enough.", name=at.draft.about)
        + "\n"
        + _(HINT)
    )


def _tip_prompt(at: Here) -> str:
    _ = at.tr
    return (
        _("A concrete tip for {name}: what to try next time?", name=at.draft.about) + "\n" + _(HINT)
    )


def _next_options(at: Here) -> list[Option]:
    return [Option(code, at.tr.plain(label)) for code, label in NEXT_LABELS.items()]


def _card_lines(at: Here) -> list[str]:
    _ = at.tr
    draft = at.draft
    lines = [_("<b>Your card about {name}</b>", name=draft.about)]
    for _state, name, _question, label in THEMES:
        level = getattr(draft, name)
        lines.append(
            _("{theme}: {level}", theme=_.plain(label), level=_.plain(LEVELS.get(level, "–")))
        )
    lines.append(_("Strength: {text}", text=draft.strength or "–"))
    lines.append(_("Tip: {text}", text=draft.tip or "–"))
    next_label = NEXT_LABELS.get(draft.next_step or "", "–")
    lines.append(_("Next: {label}", label=_.plain(next_label)))
    return [*lines, "", _("Is everything right?")]


def _level(code: str | None) -> int | None:
    return int(code) if code in ("1", "2", "3", "4") else None


async def _confirm_card(at: Here) -> Outcome:
    query = at.update.callback_query
    assert query is not None
    _ = at.tr
    draft = at.draft
    await query.answer()
    await at.close_choice(_.plain("That's right"))
    next_step = draft.next_step if draft.next_step in meeting.NEXT_STEPS else "none"
    card = Card(
        cv=_level(draft.cv),
        oral=_level(draft.oral),
        non_verbal=_level(draft.non_verbal),
        soft_skills=_level(draft.soft_skills),
        technical=_level(draft.technical),
        strength=draft.strength or "",
        tip=draft.tip or "",
        next_step=next_step,  # type: ignore[arg-type]
    )
    app = services(at.context)
    refusal = await meeting.save_employer_card(
        app.database, draft.questionnaire_id, _telegram_id(at.update), card, app.settings.staff_ids
    )
    if refusal is not None:
        await at.reply(_(REFUSALS[refusal]))
    else:
        await at.reply(_(THANKS_EMPLOYER, name=draft.about))
        wake(at.context.application)
    await _finished(at.update, at.context, draft)
    return END


EMPLOYER_FLOW = Flow[FeedbackDraft](
    "emp",
    steps=(
        *(
            Step[FeedbackDraft](
                state,
                _theme_prompt(number, question),
                Buttons(_level_options, per_row=2),
                field=name,
                label=label,
            )
            for number, (state, name, question, label) in enumerate(THEMES, start=1)
        ),
        Step(STRENGTH, _strength_prompt, Text(TEXT_LIMIT), field="strength", label=N_("Strength")),
        Step(TIP, _tip_prompt, Text(TEXT_LIMIT), field="tip", label=N_("Tip")),
        Step(
            NEXT,
            N_("And next, with this person?"),
            Buttons(_next_options, per_row=1),
            field="next_step",
            label=N_("Next"),
        ),
    ),
    summary=_card_lines,
    confirm=_confirm_card,
)

WHO_FLOW = Flow[FeedbackDraft]("who", steps=(WHO_STEP,), summary=lambda at: [], confirm=_ended)


async def _after_answer(at: Here, done: str) -> Outcome:
    """The last answer of a candidate (comment, or who was absent) stores it all."""
    if done == COMMENT:
        return await _store_candidate(at)
    if done == WHO:
        return await _store_absent(at)
    return None


async def lost(update: Update, context: Context) -> int:
    """The draft vanished (erased data, an unreadable draft): end without guessing."""
    _ = translator_for(update)
    DRAFTS.drop(context)
    if update.callback_query is not None:
        await update.callback_query.answer(_.plain(NOT_IN_PROGRESS), show_alert=True)
    else:
        await reply(update, _(NOT_IN_PROGRESS))
    return END


FORM = Form[FeedbackDraft](
    drafts=DRAFTS,
    wire=Wire(FeedbackAnswer, FeedbackAnswerPair),
    flows=(WHO_FLOW, CANDIDATE_FLOW, EMPLOYER_FLOW),
    pick=lambda draft: draft.flow,
    after_answer=_after_answer,
    lost=lost,
    summary_state=SUMMARY,
)


# ---------------------------------------------------------------- the first question's press


def _telegram_id(update: Update) -> int:
    assert update.effective_user is not None
    return update.effective_user.id


async def _stay_or_end(update: Update, context: Context, questionnaire_id: int) -> int | None:
    """After a press that ends `questionnaire_id`: END if it was the one in progress (or
    none was), None to stay in another questionnaire's question."""
    current = DRAFTS.load(context)
    if current is not None and current.questionnaire_id != questionnaire_id:
        return None
    if current is not None:
        await _finished(update, context, current)
    DRAFTS.drop(context)
    return END


async def on_survey(update: Update, context: Context) -> object:
    """A button of "did it happen?" (invitation or reminder): the conversation's entry."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    data = SurveyAnswer.parse(query.data)
    codes = {code.value: code for code in MeetingCode}
    code = codes.get(data.answer) if data is not None else None
    if data is None or code is None:
        await query.answer(_.plain(REFUSALS[Refusal.UNKNOWN]), show_alert=True)
        return None
    database = services(context).database
    questionnaire_id, telegram_id = data.questionnaire_id, _telegram_id(update)
    if code is MeetingCode.DECLINE:
        refusal = await meeting.decline(database, questionnaire_id, telegram_id)
        if refusal is not None:
            await query.answer(_refusal(_, refusal), show_alert=True)
            return None
        await query.answer()
        await close_choice(update, _, _.plain(MEETING_LABELS[code]))
        await reply(update, _(THANKS_DECLINED))
        _unpark(context, questionnaire_id)
        return await _stay_or_end(update, context, questionnaire_id)
    result = await meeting.record_report(database, questionnaire_id, telegram_id, code)
    if isinstance(result, Refusal):
        await query.answer(_refusal(_, result), show_alert=True)
        return None
    if result.done:
        await query.answer()
        await close_choice(update, _, _.plain(MEETING_LABELS[code]))
        await reply(update, _(THANKS_SELF if code is MeetingCode.SELF else THANKS_ABSENT))
        _unpark(context, questionnaire_id)
        return await _stay_or_end(update, context, questionnaire_id)
    if not result.new:
        return await _pressed_again(update, context, result, code)
    # The question keeps its buttons: pressing "Yes" again there resumes a draft set aside.
    await query.answer()
    return await _begin(update, context, result.subject)


async def _pressed_again(
    update: Update, context: Context, result: meeting.Reported, code: MeetingCode
) -> object:
    """ "Did it happen?" was answered before and the questionnaire is still open."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    subject = result.subject
    current = DRAFTS.load(context)
    continues = subject.report == code.value and (code is MeetingCode.YES or result.choose_absent)
    if not continues:
        await query.answer(_refusal(_, Refusal.ANSWERED), show_alert=True)
        return None
    if current is not None and current.questionnaire_id == subject.questionnaire_id:
        await query.answer(_.plain(ALREADY_THIS), show_alert=True)
        return await FORM.reask(update, context)
    await query.answer()
    parked = _unpark(context, subject.questionnaire_id)
    if parked is None or parked.step is None:
        return await _begin(update, context, subject)
    if current is not None:
        _park(context, current)
    parked.question_message_id = _message_id(update)
    DRAFTS.save(context, parked)
    await reply(update, _(CARRY_ON))
    await FORM.reask(update, context)
    return parked.step


def _message_id(update: Update) -> int | None:
    """The question's message (the buttons go once the questionnaire is over)."""
    query = update.callback_query
    return query.message.message_id if query is not None and query.message else None


async def _begin(update: Update, context: Context, subject: meeting.Subject) -> object:
    """Ask the first question after "did it happen?" (the draft in progress set aside)."""
    current = DRAFTS.load(context)
    if current is not None and current.questionnaire_id != subject.questionnaire_id:
        _park(context, current)
    _unpark(context, subject.questionnaire_id)
    if subject.report != MeetingCode.YES.value:
        draft = FeedbackDraft(
            flow="who",
            questionnaire_id=subject.questionnaire_id,
            employers={str(mate.person_id): mate.name for mate in subject.employers},
            question_message_id=_message_id(update),
        )
        return await FORM.begin(update, context, draft, WHO)
    if subject.is_employer_card:
        about = subject.about.name if subject.about else ""
        draft = FeedbackDraft(
            flow="emp",
            questionnaire_id=subject.questionnaire_id,
            about=about,
            question_message_id=_message_id(update),
        )
        return await FORM.begin(update, context, draft, CV)
    draft = FeedbackDraft(
        flow="cand",
        questionnaire_id=subject.questionnaire_id,
        question_message_id=_message_id(update),
    )
    return await FORM.begin(update, context, draft, RATING)


# ---------------------------------------------------------------- leaving, stale buttons


async def timed_out(update: Update, context: Context) -> None:
    """Idle too long: the draft is set aside, "Yes" again under the question resumes it."""
    await set_aside(update, context)


async def set_aside(update: Update, context: Context) -> int:
    """`/annuler`, or idle too long: the draft is set aside (nothing stored is lost), and
    "Yes" again under the question resumes it."""
    _ = translator_for(update)
    draft = DRAFTS.load(context)
    DRAFTS.drop(context)
    chat = update.effective_chat
    if draft is None or chat is None:
        return END
    _park(context, draft)
    await context.bot.send_message(chat.id, _(ASIDE))
    return END


async def stale_button(update: Update, context: Context) -> None:
    """A feedback button outside of the question it belongs to (finished, or set aside)."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    read = FORM.wire.read(query.data)
    nonce = read[0] if read is not None else None
    done = context.user_data.get(DONE_KEY, []) if context.user_data is not None else []
    parked = context.user_data.get(PARKED_KEY, {}) if context.user_data is not None else {}
    if nonce is not None and nonce in done:
        await query.answer(_refusal(_, Refusal.ANSWERED), show_alert=True)
    elif nonce is not None and any(item.get("nonce") == nonce for item in parked.values()):
        await query.answer(
            _.plain("To carry on with these questions, press “Yes” again under the question."),
            show_alert=True,
        )
    else:
        await query.answer(_refusal(_, Refusal.UNKNOWN), show_alert=True)


def conversation(timeout_minutes: float) -> Conversation:
    return user_conversation(
        name=CONVERSATION_NAME,
        entry_points=[CallbackQueryHandler(on_survey, pattern=SurveyAnswer.pattern())],
        states={
            # who, rating, helped, comment, cv … next, sum: the steps of every flow (FORM)
            **FORM.states(),
            ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
        },
        fallbacks=[
            CommandHandler(["annuler", "cancel"], set_aside),
            CallbackQueryHandler(stale_button, pattern=prefix_pattern(FeedbackAnswer.prefix)),
        ],
        allow_reentry=True,
        conversation_timeout=timedelta(minutes=timeout_minutes),
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    settings = services(application).settings
    application.add_handler(conversation(settings.conversation_timeout_minutes))
    application.add_handler(
        CallbackQueryHandler(stale_button, pattern=prefix_pattern(FeedbackAnswer.prefix))
    )
