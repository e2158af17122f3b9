"""The sign-up conversation: entry points, consent, shared steps, summary and confirmation.

One persistent `ConversationHandler` ("signup") runs candidates' and employers' sign-ups,
staff registering someone (`/inscrire`) and the changes made from `/profil`. The steps of
each role live in `signup_candidate` and `signup_employer`, which add themselves to `STEPS`
and `FLOWS` when imported; this module walks those flows.

The draft lives in `context.user_data["signup"]` (JSON-friendly, persisted with the
conversation state) and nothing reaches the database before the final "C'est bon". Every
button carries the draft's nonce and its step, so a button from an older message, another
step or a forged one changes nothing.
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.context import services, translator_for
from bot.db.base import utcnow
from bot.db.models.events import RegistrationStatus
from bot.db.models.people import Role
from bot.handlers import profile
from bot.handlers.common import Context, identity_of, reply, staff_only
from bot.i18n import N_, Translator, sectors
from bot.keyboards import button, column, rows, unpack
from bot.portrait import PhotoRejected, normalise_photo
from bot.services.people import touch_person
from bot.services.profiles import update_profile
from bot.services.signup import (
    Answers,
    ClaimRefused,
    attach_account,
    complete_signup,
    event_view,
    find_invitation,
    meetable_people,
    open_events,
    registration_status,
)

CONVERSATION_NAME = "signup"
DRAFT_KEY = "signup"
PREFIX = "su"  # buttons inside the conversation: su:<nonce>:<step>:<value>
ENTRY_PREFIX = "signup"  # buttons that start a sign-up: signup:<event id>
END = ConversationHandler.END

# Conversation states: one per question. The role modules define their own the same way.
CONSENT = "consent"
NAME = "name"
SECTORS = "sec"
WISHES = "wish"
SUMMARY = "sum"
STAFF_EVENT = "sev"
STAFF_ROLE = "srole"

# Draft modes.
SIGNUP = "signup"
STAFF = "staff"
PROFILE = "profile"

NAME_LIMIT = 60
SHORT_LIMIT = 200
LONG_LIMIT = 500
ITEM_LIMIT = 60

Draft = dict[str, Any]
Asker = Callable[[Update, Context, Draft], Awaitable[bool]]
Summariser = Callable[[Translator, Draft], list[str]]


@dataclass(frozen=True)
class Step:
    """One question: how to ask it (False = nothing to ask, skip) and what it accepts."""

    name: str
    ask: Asker
    handlers: list[BaseHandler[Any, Any, Any]]
    label: str  # msgid of the field, on the summary's "change" buttons
    editable: bool = True


STEPS: dict[str, Step] = {}
FLOWS: dict[str, tuple[str, ...]] = {}
SUMMARIES: dict[str, Summariser] = {}


def add_step(step: Step) -> None:
    STEPS[step.name] = step


# ---------------------------------------------------------------- draft and navigation


def draft_of(context: Context) -> Draft | None:
    data = context.user_data
    return data.get(DRAFT_KEY) if data is not None else None


def new_draft(context: Context, *, role: str, mode: str, event_id: int | None) -> Draft:
    draft: Draft = {
        "nonce": secrets.token_hex(2),
        "role": role,
        "mode": mode,
        "event_id": event_id,
        "answers": {},
        "step": CONSENT,
        "editing": False,
        "recorded_by": None,
        "consent_at": None,
    }
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = draft
    return draft


def drop_draft(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)


def data(draft: Draft, step: str, *parts: object) -> str:
    """Callback data of a button of `step` in this draft."""
    return ":".join([PREFIX, draft["nonce"], step, *(str(part) for part in parts)])


def choice(label: str, draft: Draft, step: str, *parts: object) -> InlineKeyboardButton:
    return button(label, PREFIX, draft["nonce"], step, *parts)


def checked(label: str, chosen: bool) -> str:
    return f"✅ {label}" if chosen else label


async def ask(update: Update, context: Context, draft: Draft, name: str) -> bool:
    """Ask one step's question and remember it as the current step."""
    asked = await STEPS[name].ask(update, context, draft)
    if asked:
        draft["step"] = name
        if name not in draft.setdefault("asked", []):
            draft["asked"].append(name)
    return asked


async def go_to(update: Update, context: Context, draft: Draft, name: str) -> str:
    """Ask `name`, or the first step after it that has something to ask."""
    flow = FLOWS[draft["role"]]
    for following in flow[flow.index(name) :]:
        if await ask(update, context, draft, following):
            return following
    return await show_summary(update, context, draft)


async def advance(update: Update, context: Context, draft: Draft, done: str) -> str | int:
    """After a valid answer: the next question, the summary, or (from /profil) saving."""
    if draft["mode"] == PROFILE:
        return await save_profile_change(update, context, draft)
    if draft.get("editing"):
        return await show_summary(update, context, draft)
    flow = FLOWS[draft["role"]]
    position = flow.index(done) + 1
    if position < len(flow):
        return await go_to(update, context, draft, flow[position])
    return await show_summary(update, context, draft)


async def reask(update: Update, context: Context, draft: Draft) -> None:
    step = draft.get("step")
    if step == SUMMARY:
        await show_summary(update, context, draft)
    elif step == CONSENT:
        await ask_consent(update, context, draft)
    elif step in STEPS:
        await STEPS[step].ask(update, context, draft)


async def pressed(update: Update, context: Context, step: str) -> tuple[Draft, list[str]] | None:
    """The draft and the button's values, or None after telling why the button is refused.

    The caller answers the query itself when this returns values.
    """
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    draft = draft_of(context)
    parts = unpack(query.data)
    if draft is None:
        await query.answer(_("This sign-up is no longer in progress."), show_alert=True)
        return None
    if len(parts) < 3 or parts[1] != draft["nonce"] or parts[2] != step:
        await query.answer(
            _("This button belongs to an older question. Please use the latest message."),
            show_alert=True,
        )
        return None
    return draft, parts[3:]


async def refuse_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    await query.answer(_("This button is not valid."), show_alert=True)


async def close_choice(update: Update, chosen: str | None = None) -> None:
    """Remove the buttons of the answered question and show what was chosen (escaped)."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    message = query.message
    text = getattr(message, "text_html", None)
    try:
        if chosen and text:
            _ = translator_for(update)
            await query.edit_message_text(
                text + "\n\n" + _("✔ {choice}", choice=chosen), reply_markup=None
            )
        else:
            await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError:  # the message may be too old to edit; the answer is kept anyway
        return


def clean(text: str | None) -> str:
    return " ".join((text or "").split())


async def typed(update: Update, context: Context, draft: Draft, limit: int) -> str | None:
    """The typed answer, or None after saying what is expected and asking again."""
    _ = translator_for(update)
    message = update.effective_message
    text = clean(message.text if message else None)
    if not text:
        await reply(update, _("Your answer is empty. Please write a few words."))
    elif len(text) > limit:
        await reply(
            update,
            _(
                "This is too long: {limit} characters at most (you wrote {count}).",
                limit=limit,
                count=len(text),
            ),
        )
    else:
        return text
    await reask(update, context, draft)
    return None


def expects_text(step: str) -> Callable[[Update, Context], Awaitable[None]]:
    """For a photo, sticker or file where words are expected."""

    async def handler(update: Update, context: Context) -> None:
        _ = translator_for(update)
        draft = draft_of(context)
        await reply(update, _("Please answer with a text message."))
        if draft is not None:
            await reask(update, context, draft)

    handler.__name__ = f"expects_text_{step}"
    return handler


def expects_button(step: str) -> Callable[[Update, Context], Awaitable[None]]:
    """For anything typed or sent where a button must be pressed."""

    async def handler(update: Update, context: Context) -> None:
        _ = translator_for(update)
        draft = draft_of(context)
        await reply(update, _("Please press one of the buttons."))
        if draft is not None:
            await reask(update, context, draft)

    handler.__name__ = f"expects_button_{step}"
    return handler


def text_step(
    step: str, on_text: Callable[[Update, Context], Awaitable[Any]]
) -> list[BaseHandler[Any, Any, Any]]:
    """Handlers of a question answered by typing (its own buttons are added by the caller)."""
    return [
        MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),
        MessageHandler(~filters.COMMAND, expects_text(step)),
    ]


def button_step(
    step: str, on_press: Callable[[Update, Context], Awaitable[Any]]
) -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(on_press, pattern=rf"^{PREFIX}:\w+:{step}(:|$)"),
        MessageHandler(~filters.COMMAND, expects_button(step)),
    ]


def own_buttons(
    step: str, on_press: Callable[[Update, Context], Awaitable[Any]]
) -> CallbackQueryHandler[Any, Any]:
    return CallbackQueryHandler(on_press, pattern=rf"^{PREFIX}:\w+:{step}(:|$)")


# ---------------------------------------------------------------- entry points


async def start_from_link(update: Update, context: Context) -> str | int:
    """`/start c_XXXX` or `/start e_XXXX`: the invitation link of an event."""
    app = services(context)
    _ = translator_for(update)
    code = context.args[0] if context.args else ""
    invitation = await find_invitation(app.database, code)
    if invitation is None:
        await reply(
            update,
            _("This invitation link is not valid.")
            + "\n"
            + _("Please check it with your adviser, or type /start to see the open events."),
        )
        return END
    if not invitation.is_open:
        await reply(update, _("Sign-ups for this event are closed. Thank you for your interest."))
        return END
    return await begin(update, context, invitation.event_id, invitation.role)


async def start_from_button(update: Update, context: Context) -> str | int:
    """An open event chosen from the list shown after `/start`."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    parts = unpack(query.data)
    if len(parts) != 3 or not parts[1].isdigit() or parts[2] not in (Role.CANDIDATE, Role.EMPLOYER):
        await query.answer(_("This button is not valid."), show_alert=True)
        return END
    view = await event_view(services(context).database, int(parts[1]))
    if view is None or not view.is_open:
        await query.answer(_("Sign-ups for this event are closed."), show_alert=True)
        return END
    await query.answer()
    await close_choice(update, view.name)
    return await begin(update, context, view.id, parts[2])


async def begin(update: Update, context: Context, event_id: int, role: str) -> str | int:
    app = services(context)
    _ = translator_for(update)
    view = await event_view(app.database, event_id)
    assert view is not None
    status = await registration_status(app.database, identity_of(update).telegram_id, event_id)
    if status is not None:
        drop_draft(context)
        await reply(
            update,
            _("You are already signed up for “{event}”.", event=view.name)
            + "\n"
            + _("Type /profil to see or change your portrait card."),
        )
        return END
    draft = new_draft(context, role=role, mode=SIGNUP, event_id=event_id)
    draft["event_name"] = view.name
    await ask_consent(update, context, draft)
    return CONSENT


async def offer_open_events(update: Update, context: Context, role: str) -> None:
    """After someone picks a role in `/start`: the open events, one button each."""
    _ = translator_for(update)
    events = await open_events(services(context).database)
    if not events:
        await reply(
            update,
            _("There is no open event right now.")
            + "\n"
            + _("Your adviser will send you an invitation link."),
        )
        return
    keyboard = column([button(view.name[:40], ENTRY_PREFIX, view.id, role) for view in events[:10]])
    await reply(update, _("Which event do you want to sign up for?"), reply_markup=keyboard)


@staff_only
async def staff_start(update: Update, context: Context) -> str | int:
    """`/inscrire`: staff answer the questions for someone without the app at hand."""
    app = services(context)
    _ = translator_for(update)
    events = await open_events(app.database)
    if not events:
        await reply(update, _("There is no open event right now."))
        return END
    staff = await touch_person(app.database, identity_of(update), app.settings.staff_ids)
    draft = new_draft(context, role=Role.CANDIDATE, mode=STAFF, event_id=None)
    draft["recorded_by"] = staff.id
    draft["step"] = STAFF_EVENT
    keyboard = column([choice(view.name[:40], draft, STAFF_EVENT, view.id) for view in events[:10]])
    await reply(update, _("Register someone: for which event?"), reply_markup=keyboard)
    return STAFF_EVENT


async def staff_event_chosen(update: Update, context: Context) -> str | int | None:
    got = await pressed(update, context, STAFF_EVENT)
    if got is None:
        return None
    draft, values = got
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    view = await event_view(services(context).database, int(values[0])) if values else None
    if view is None or not view.is_open:
        await query.answer(_("Sign-ups for this event are closed."), show_alert=True)
        return None
    await query.answer()
    await close_choice(update, view.name)
    draft["event_id"] = view.id
    draft["event_name"] = view.name
    draft["step"] = STAFF_ROLE
    keyboard = rows(
        [
            choice(_.plain("Candidate"), draft, STAFF_ROLE, Role.CANDIDATE.value),
            choice(_.plain("Employer"), draft, STAFF_ROLE, Role.EMPLOYER.value),
        ]
    )
    await reply(update, _("Is this person a candidate or an employer?"), reply_markup=keyboard)
    return STAFF_ROLE


async def staff_role_chosen(update: Update, context: Context) -> str | int | None:
    got = await pressed(update, context, STAFF_ROLE)
    if got is None:
        return None
    draft, values = got
    query = update.callback_query
    assert query is not None
    if not values or values[0] not in (Role.CANDIDATE, Role.EMPLOYER):
        await refuse_button(update, context)
        return None
    await query.answer()
    _ = translator_for(update)
    draft["role"] = values[0]
    await close_choice(
        update, _.plain("Candidate") if values[0] == Role.CANDIDATE else _.plain("Employer")
    )
    await ask_consent(update, context, draft)
    return CONSENT


# ---------------------------------------------------------------- consent


def consent_text(_: Translator, role: str) -> str:
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
            _("• How long: until 12 months after your last event, then it is erased."),
            _("• Your rights: /mesdonnees sends you a copy, /supprimer erases everything."),
            "",
            _("Do you agree?"),
        ]
    )


async def ask_consent(update: Update, context: Context, draft: Draft) -> bool:
    _ = translator_for(update)
    draft["step"] = CONSENT
    text = consent_text(_, draft["role"])
    if draft["mode"] == STAFF:
        text += "\n\n" + _("<b>Has the person read this and agreed?</b>")
        labels = (_.plain("Yes, they agree"), _.plain("No"))
    else:
        labels = (_.plain("I agree"), _.plain("I refuse"))
    keyboard = rows(
        [choice(labels[0], draft, CONSENT, "yes"), choice(labels[1], draft, CONSENT, "no")]
    )
    await reply(update, text, reply_markup=keyboard)
    return True


async def consent_given(update: Update, context: Context) -> str | int | None:
    got = await pressed(update, context, CONSENT)
    if got is None:
        return None
    draft, values = got
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    if values not in (["yes"], ["no"]):
        await refuse_button(update, context)
        return None
    await query.answer()
    if values == ["no"]:
        await close_choice(update, _.plain("I refuse"))
        drop_draft(context)
        if draft["mode"] == STAFF:
            await reply(update, _("Without the person's agreement, nothing is stored."))
            return END
        await reply(
            update,
            _("All right, nothing has been stored.")
            + "\n"
            + _("If you change your mind, open the invitation link again or type /start."),
        )
        return END
    await close_choice(update, _.plain("I agree"))
    draft["consent_at"] = utcnow().isoformat()
    return await go_to(update, context, draft, FLOWS[draft["role"]][0])


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


async def name_typed(update: Update, context: Context) -> str | int | None:
    draft = draft_of(context)
    if draft is None:
        return await lost(update, context)
    text = await typed(update, context, draft, NAME_LIMIT)
    if text is None:
        return None
    first, _comma, last = text.partition(",")
    if not first.strip():
        _ = translator_for(update)
        await reply(update, _("Please write your first name first."))
        await reask(update, context, draft)
        return None
    draft["answers"]["first_name"] = first.strip()
    draft["answers"]["last_name"] = last.strip() or None
    return await advance(update, context, draft, NAME)


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


# ---------------------------------------------------------------- summary and confirmation


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


async def _photo(context: Context, draft: Draft) -> bytes | None:
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
        photo=await _photo(context, draft),
        recorded_by=draft.get("recorded_by"),
    )


# ---------------------------------------------------------------- /profil changes


async def edit_from_profile(update: Update, context: Context) -> str | int:
    """A "change" button under the portrait card: the same question, then saved at once."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    parts = unpack(query.data)
    own = await profile.profile_for_edit(services(context).database, update)
    allowed = profile.EDITABLE.get(own.role, ()) if own else ()
    if own is None or len(parts) != 2 or parts[1] not in [code for code, _label in allowed]:
        await query.answer(_("This button is not valid."), show_alert=True)
        return END
    await query.answer()
    draft = new_draft(context, role=own.role, mode=PROFILE, event_id=None)
    draft["answers"] = dict(own.answers)
    draft["consent_at"] = None
    if await ask(update, context, draft, parts[1]):
        return parts[1]
    drop_draft(context)
    return END


async def save_profile_change(update: Update, context: Context, draft: Draft) -> int:
    _ = translator_for(update)
    app = services(context)
    user = update.effective_user
    assert user is not None
    photo = await _photo(context, draft)
    saved = await update_profile(app.database, user.id, draft["answers"], photo)
    drop_draft(context)
    if not saved:
        await reply(update, _("Your profile could not be found. Type /start."))
        return END
    await reply(update, _("Saved."))
    await profile.send_card(update, context)
    return END


# ---------------------------------------------------------------- leaving the conversation


async def lost(update: Update, context: Context) -> int:
    """The draft vanished (erased data, restart after a crash): end without guessing."""
    _ = translator_for(update)
    if update.callback_query is not None:
        await update.callback_query.answer()
    await reply(update, _("This sign-up is no longer in progress. Type /start to begin again."))
    return END


async def cancel(update: Update, context: Context) -> int:
    _ = translator_for(update)
    draft = draft_of(context)
    drop_draft(context)
    if draft is not None and draft["mode"] == PROFILE:
        await reply(update, _("Cancelled. Your portrait card has not changed."))
    else:
        await reply(
            update,
            _("Cancelled. Nothing has been stored.")
            + "\n"
            + _("You can start again at any time with your invitation link or /start."),
        )
    return END


async def timed_out(update: Update, context: Context) -> None:
    """PTB calls this once the conversation has been idle too long."""
    _ = translator_for(update)
    drop_draft(context)
    chat = update.effective_chat if isinstance(update, Update) else None
    user = update.effective_user if isinstance(update, Update) else None
    if chat is None or user is None:
        return
    # A timeout runs in a job, not an update: nothing flushes persistence after it, so the
    # draft and the conversation state are removed from the database here, at once.
    persistence = services(context).persistence
    await persistence.update_user_data(user.id, dict(context.user_data or {}))
    await persistence.update_conversation(CONVERSATION_NAME, (chat.id, user.id), None)
    await context.bot.send_message(
        chat.id,
        _("You have not answered for a while, so I closed this sign-up. Nothing was stored.")
        + "\n"
        + _("You can start again at any time with your invitation link or /start."),
    )


async def resume(update: Update, context: Context) -> None:
    """A plain `/start` in the middle of a sign-up: carry on where the person was."""
    _ = translator_for(update)
    draft = draft_of(context)
    if draft is None:
        await lost(update, context)
        return
    await reply(update, _("Let's carry on where we were. To stop, type /annuler."))
    await reask(update, context, draft)


async def stale_button(update: Update, context: Context) -> None:
    """A sign-up button pressed outside of the question it belongs to."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    draft = draft_of(context)
    if draft is None:
        await query.answer(
            _("This button is no longer valid. To sign up, open your invitation link again."),
            show_alert=True,
        )
        return
    await query.answer(
        _("This button belongs to an older question. Please use the latest message."),
        show_alert=True,
    )


async def claim_link(update: Update, context: Context) -> None:
    """`/start p_XXXX`: the personal link staff gave someone they registered."""
    app = services(context)
    _ = translator_for(update)
    code = context.args[0] if context.args else ""
    try:
        first_name = await attach_account(app.database, code, identity_of(update))
    except ClaimRefused:
        await reply(
            update,
            _("Your Telegram account already has its own sign-up.")
            + "\n"
            + _("Please ask the organising team to merge them."),
        )
        return
    if first_name is None:
        await reply(update, _("This personal link is not valid or has already been used."))
        return
    await reply(
        update,
        _(
            "Welcome {name}! Your registration is now linked to your Telegram account.",
            name=first_name,
        )
        + "\n"
        + _("Type /profil to see your portrait card."),
    )


# ---------------------------------------------------------------- wiring

LINK_FILTER = filters.Regex(r"^/start(@\w+)?\s+[ce]_[\w-]+\s*$")
CLAIM_FILTER = filters.Regex(r"^/start(@\w+)?\s+p_[\w-]+\s*$")

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


def build_conversation(timeout_minutes: float) -> ConversationHandler[Any]:
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        name: list(step.handlers) for name, step in STEPS.items()
    }
    states[CONSENT] = button_step(CONSENT, consent_given)
    states[SUMMARY] = button_step(SUMMARY, summary_pressed)
    states[STAFF_EVENT] = button_step(STAFF_EVENT, staff_event_chosen)
    states[STAFF_ROLE] = button_step(STAFF_ROLE, staff_role_chosen)
    states[ConversationHandler.TIMEOUT] = [TypeHandler(Update, timed_out)]
    with warnings.catch_warnings():
        # Buttons are tracked per user here, on purpose: the nonce guards old messages.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            entry_points=[
                CommandHandler("start", start_from_link, filters=LINK_FILTER),
                CallbackQueryHandler(start_from_button, pattern=rf"^{ENTRY_PREFIX}:"),
                CallbackQueryHandler(edit_from_profile, pattern=rf"^{profile.EDIT_PREFIX}:"),
                CommandHandler("inscrire", staff_start),
            ],
            states=states,  # type: ignore[arg-type]
            fallbacks=[
                CommandHandler(["annuler", "cancel"], cancel),
                CommandHandler("start", resume, filters=~LINK_FILTER),
                CallbackQueryHandler(stale_button, pattern=rf"^{PREFIX}:"),
            ],
            name=CONVERSATION_NAME,
            persistent=True,
            allow_reentry=True,
            conversation_timeout=timedelta(minutes=timeout_minutes),
        )


def register(application: Application) -> None:  # type: ignore[type-arg]
    missing = [role for role in (Role.CANDIDATE, Role.EMPLOYER) if role not in FLOWS]
    if missing:
        raise RuntimeError(f"sign-up flows not loaded: {missing}")
    settings = services(application).settings
    application.add_handler(CommandHandler("start", claim_link, filters=CLAIM_FILTER))
    application.add_handler(build_conversation(settings.conversation_timeout_minutes))
    application.add_handler(CallbackQueryHandler(stale_button, pattern=rf"^{PREFIX}:"))
