"""The consent screen: what is stored, who sees it, for how long; agreeing or refusing."""

from __future__ import annotations

from telegram import Update

from bot.context import translator_for
from bot.db.base import utcnow
from bot.db.models.people import Role
from bot.handlers.common import Context, reply
from bot.handlers.signup_flow import (
    CONSENT,
    END,
    FLOWS,
    STAFF,
    Draft,
    choice,
    close_choice,
    drop_draft,
    go_to,
    pressed,
    refuse_button,
)
from bot.i18n import Translator
from bot.keyboards import rows


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
