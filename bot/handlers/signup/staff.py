"""Staff registering someone (`/inscrire`): the event, the role, then the person's sign-up
answered by staff; and the personal link that later attaches the person's Telegram account
to that registration (`/start p_XXXX`).

Every step of a staff draft checks the staff role again (`staff_guard`, the form's guard):
someone demoted midway cannot go on.
"""

from __future__ import annotations

from telegram import Update

from bot.context import services, translator_for
from bot.db.models.people import Role
from bot.engine.conversation import END
from bot.engine.steps import At, Buttons, Form, Goto, Handler, Option, Outcome, Step
from bot.handlers.common import Context, identity_of, is_staff_member, reply, staff_only
from bot.handlers.signup.draft import CONSENT, STAFF_EVENT, STAFF_ROLE, Mode, SignUpDraft
from bot.i18n import N_
from bot.services.people import touch_person
from bot.services.signup import ClaimRefused, attach_account, open_events

Here = At[SignUpDraft]


async def staff_guard(at: Here) -> bool:
    """The staff check before every step of a staff draft (refused in French otherwise)."""
    if at.draft.mode is not Mode.STAFF:
        return True
    return await is_staff_member(at.update, at.context)


def start(form: Form[SignUpDraft]) -> Handler:
    """`/inscrire`: staff answer the questions for someone without the app at hand."""

    @staff_only
    async def staff_start(update: Update, context: Context) -> object:
        app = services(context)
        _ = translator_for(update)
        if not await open_events(app.database):
            await reply(update, _("There is no open event right now."))
            return END
        staff = await touch_person(app.database, identity_of(update), app.settings.staff_ids)
        draft = SignUpDraft(role=Role.CANDIDATE, mode=Mode.STAFF, recorded_by=staff.id)
        return await form.begin(update, context, draft, STAFF_EVENT)

    return staff_start


async def _events(at: Here) -> list[Option]:
    events = await open_events(services(at.context).database)
    return [Option(str(view.id), view.name[:40], echo=view.name) for view in events[:10]]


def _event_chosen(at: Here, option: Option) -> Outcome:
    at.draft.event_id = int(option.value)
    at.draft.event_name = option.echo
    return Goto(STAFF_ROLE)


def _roles(at: Here) -> list[Option]:
    return [
        Option(Role.CANDIDATE.value, at.tr.plain("Candidate")),
        Option(Role.EMPLOYER.value, at.tr.plain("Employer")),
    ]


def _role_chosen(at: Here, option: Option) -> Outcome:
    at.draft.role = Role(option.value)
    return Goto(CONSENT)


EVENT_STEP = Step[SignUpDraft](
    STAFF_EVENT,
    N_("Register someone: for which event?"),
    Buttons(
        _events,
        answer=_event_chosen,
        per_row=1,
        unknown=N_("Sign-ups for this event are closed."),
    ),
)
ROLE_STEP = Step[SignUpDraft](
    STAFF_ROLE,
    N_("Is this person a candidate or an employer?"),
    Buttons(_roles, answer=_role_chosen),
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
